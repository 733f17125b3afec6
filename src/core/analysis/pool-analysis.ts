/**
 * The analysis as a job for the worker pool: this thread (the page or the CLI's main thread)
 * only plans, routes small messages and merges partials; the workers decode, cut cycles, run
 * every kernel and hold the data.
 *
 * #### Notes
 * - Each needed row group is decoded once, by one worker, which keeps its blocks' whole cycles
 *   (in memory; in the tensor store for a group larger than half the budget) and answers their
 *   per-cycle results. Only the rows of a cycle cut by a row-group boundary come here; once
 *   complete, such a cycle goes to a worker as a chunk of its own.
 * - When a group's cycles are all in, three rounds on the workers holding them finish it:
 *   pattern moments and co-moments with a 12-bit key histogram; RMSE against the final mean with
 *   the next 12 bits under the wanted ranks' prefixes; the last 8 bits (exact quantiles by radix
 *   selection, see ../kernels/radix-select.ts). The workers then drop the group.
 * - With a tensor store, every chunk is written there by the worker that made it, and each
 *   block's index is written last, here, once all its chunks are: a rerun reads the store.
 *   Stored blocks are read under shared locks, written under exclusive claims of their folders
 *   (another tab's block is not written here; a spilling group's chunks then go to a private
 *   folder of this run), all released when the job ends.
 */
import { transfer } from 'comlink';

import type { IDatasetSummary } from '../dataset/dataset-summary';
import { LocolensError, describeError, errorCode } from '../errors';
import type { SourceSpec } from '../io/byte-source';
import type { ICyclePlan } from '../kernels/cycle-tensor';
import { RankSelection, radixBins } from '../kernels/radix-select';
import { PHASES, type IKernelOptions } from '../kernels/types';
import type { ITaskResult, IWorkerRef } from '../pool/worker-pool';
import type { IBlockClaim, IStoredBlock, IStoreReading } from '../store/tensor-store';
import type { DecodePool } from '../worker/decode-service';
import type { IChunkResult, IEdgeRows, IGroupRoundAnswer, IGroupRoundRequest, IJobBlock, IJobOptions, JobKernel } from '../worker/protocol';
import { GroupAccumulator } from './group-accumulator';
import { mergeMomentParts } from './merge';
import { blockLayout, readWindow, rowGroupsOfBlocks, spillingGroups } from './plan';
import type { IAnalysisProgress, IAnalysisStore, IGroupAnalysis } from './result';

/** The quantiles of the summary statistics. */
const QUANTILES = [0.25, 0.5, 0.75] as const;

/** What a pool analysis needs. */
export interface IPoolAnalysisContext {
  pool: DecodePool;
  spec: SourceSpec;
  summary: IDatasetSummary;
  plan: ICyclePlan;
  kernel: JobKernel;
  options: IKernelOptions;
  threshold: number;
  phaseCorrelations: boolean;
  budget: number;
  /** The tensor store: read when it holds every block, else filled. */
  store?: IAnalysisStore;
  /** Where groups larger than the budget spill when there is no usable store (removed by the caller). */
  scratch?: IAnalysisStore;
  signal?: AbortSignal;
  report: (update: Partial<IAnalysisProgress>) => void;
}

/** What a pool analysis returns. */
export interface IPoolAnalysisOutcome {
  groups: IGroupAnalysis[];
  io: { bytesRead: number; requests: number };
  tensorSource: 'parquet' | 'store';
  /** Groups that spilled to the store. */
  spilled: number;
  /** Worker milliseconds decoding parquet, and in kernels (summed over workers). */
  decodeMs: number;
  kernelMs: number;
}

/** Thrown when a group must spill but no store can take it (the caller streams from parquet instead). */
export class NoSpillStoreError extends Error {}

/** Reading the tensor store failed (a damaged or vanished chunk): the caller drops `folders` and decodes parquet. */
export class StoreReadError extends Error {
  constructor(
    readonly folders: string[],
    readonly cause: unknown
  ) {
    super(`tensor store read failed: ${describeError(cause)}`);
  }
}

let jobCount = 0;

/** Run an analysis as a job on the pool (see the module's notes). */
export async function analyzeOnPool(context: IPoolAnalysisContext): Promise<IPoolAnalysisOutcome> {
  // The store's locks this job holds, released however it ends.
  const held: Array<() => unknown> = [];
  try {
    return await runOnPool(context, held);
  } finally {
    await Promise.all(held.map(release => release()));
  }
}

async function runOnPool(context: IPoolAnalysisContext, held: Array<() => unknown>): Promise<IPoolAnalysisOutcome> {
  const { pool, plan, summary } = context;
  const F = plan.features.length;
  const blocks = plan.groups.flatMap(group => group.blocks);
  const layout = blockLayout(plan.groups);
  const spill = spillingGroups(plan, context.budget);
  const store = context.store && !context.store.store.stats.disabled ? context.store : undefined;
  const spillStore = store ?? context.scratch;
  if (spill.some(Boolean) && (!spillStore || spillStore.store.stats.disabled)) {
    throw new NoSpillStoreError('no tensor store to spill to');
  }
  // The tensor store holds every block: read from it instead of parquet (held until the end).
  let stored: Array<{ folder: string; index: IStoredBlock }> | null = null;
  if (store) {
    try {
      const reading = await storedBlocks(store, plan.features, blocks);
      if (reading) {
        held.push(reading.release);
        stored = reading.blocks;
      }
    } catch (error) {
      console.warn(`locolens: the tensor store cannot be read (${describeError(error)}); decoding parquet`);
    }
  }
  // Where each block's chunks go: the store (cache) when there is one, the scratch store when its
  // group spills; its folder claimed, one writer at a time.
  const target = (b: number): IAnalysisStore | undefined => store ?? (spill[layout[b].group] ? context.scratch : undefined);
  const claims: Array<IBlockClaim | null> = stored
    ? blocks.map(() => null)
    : await Promise.all(
        blocks.map(async (block, b) => {
          const into = target(b);
          if (!into || into.store.stats.disabled) {
            return null;
          }
          const folder = into.store.blockFolder(into.identity, plan.features, block.subject, block.task);
          const claim =
            (await into.store.claim(folder)) ?? (spill[layout[b].group] ? await into.store.claim(folder, { private: true }) : null);
          if (claim) {
            held.push(claim.release);
          }
          return claim;
        })
      );
  if (blocks.some((_, b) => spill[layout[b].group] && !stored && !claims[b])) {
    throw new NoSpillStoreError('no tensor store to spill to');
  }
  const jobBlocks: IJobBlock[] = blocks.map((block, b) => ({
    block: b,
    group: layout[b].group,
    spans: block.spans,
    cycles: block.cycles,
    // (For a stored block this is the folder its index was read from.)
    folder: stored ? stored[b].folder : claims[b]?.folder,
    spill: spill[layout[b].group]
  }));
  // A group whose rows all lie in one row group is finished by the worker that decodes it (when
  // the cycles come from parquet).
  const localIn = plan.groups.map(group => {
    if (stored) {
      return -1;
    }
    const first = Math.min(...group.spans.map(([row]) => row));
    const end = Math.max(...group.spans.map(([row, rows]) => row + rows));
    let start = 0;
    for (let rowGroup = 0; rowGroup < summary.file.rowGroupRows.length; rowGroup++) {
      const stop = start + summary.file.rowGroupRows[rowGroup];
      if (first >= start && end <= stop) {
        return rowGroup;
      }
      start = stop;
    }
    return -1;
  });
  const storeRoot = (store ?? context.scratch)?.store.root;
  const job = `job${++jobCount}-${Date.now().toString(36)}`;
  const jobOptions: IJobOptions = {
    kernel: context.kernel,
    ddof: context.options.ddof,
    nan: context.options.nan,
    phaseCorrelations: context.phaseCorrelations,
    storeRoot
  };
  const accumulators = plan.groups.map(group => new GroupAccumulator(group, plan.features, context.options, context.phaseCorrelations));
  const holders = plan.groups.map(() => new Map<number, IWorkerRef>());
  const groups: IGroupAnalysis[] = new Array(plan.groups.length);
  const written = blocks.map(() => ({ chunks: [] as IStoredBlock['chunks'], failed: false }));
  const io = { bytesRead: 0, requests: 0 };
  const times = { decodeMs: 0, kernelMs: 0 };
  let cyclesDone = 0;
  const finishing: Array<Promise<void>> = [];
  let failure: unknown = null;
  const fail = (error: unknown) => {
    failure ??= error;
  };

  const cancelled = () => {
    if (context.signal?.aborted) {
      throw new LocolensError('cancelled', 'the analysis was cancelled');
    }
    if (failure) {
      throw failure;
    }
  };

  /**
   * The three finish rounds of some completed groups, on the workers holding them: one message
   * per worker and round for all the groups of the wave.
   */
  const finishWave = async (completedGroups: number[]) => {
    // A group held by one worker is finished there in one round.
    const alone = completedGroups.filter(g => holders[g].size === 1);
    const wave = completedGroups.filter(g => holders[g].size > 1);
    const local = Promise.all(
      alone.map(async g => {
        const on = [...holders[g].values()][0];
        const { value } = await pool.run(api => api.jobRounds(job, [g], F, [{ level: 'local' }], jobOptions), { on, owner: job });
        finishLocal(g, value[0]);
      })
    );
    local.catch(() => undefined);
    if (wave.length === 0) {
      await local;
      return;
    }
    const workers = new Map<number, { on: IWorkerRef; groups: number[] }>();
    for (const g of wave) {
      for (const on of holders[g].values()) {
        const entry = workers.get(on.slot) ?? { on, groups: [] };
        entry.groups.push(g);
        workers.set(on.slot, entry);
      }
    }
    /** Every holder's answer for each group of the wave. */
    const round = async (request: (g: number) => IGroupRoundRequest): Promise<Map<number, IGroupRoundAnswer[]>> => {
      const answers = new Map<number, IGroupRoundAnswer[]>(wave.map(g => [g, []]));
      await Promise.all(
        [...workers.values()].map(async ({ on, groups: held }) => {
          const { value } = await pool.run(api => api.jobRounds(job, held, F, held.map(request), jobOptions), { on, owner: job });
          value.forEach((answer, i) => {
            times.kernelMs += answer.kernelMs;
            answers.get(held[i])!.push(answer);
          });
        })
      );
      return answers;
    };
    const bins0 = radixBins(0);
    const selections = new Map<number, Array<{ selection: RankSelection; poisoned: boolean }>>();
    for (const [g, answers] of await round(() => ({ level: 0 }))) {
      const accumulator = accumulators[g];
      const counts0 = new Uint32Array(F * bins0);
      const nan = new Float64Array(F);
      const parts = answers.flatMap(answer => answer.parts ?? []);
      if (parts.length) {
        const merged = mergeMomentParts(parts, context.phaseCorrelations);
        accumulator.addMoments(merged.partial, merged.moments);
      }
      for (const answer of answers) {
        addInto(counts0, answer.counts);
        answer.nan?.forEach((count, f) => (nan[f] += count));
      }
      accumulator.finishMoments();
      const samples = plan.groups[g].cycles * PHASES;
      selections.set(
        g,
        plan.features.map((_, f) => {
          const poisoned = nan[f] > 0 && context.options.nan === 'propagate';
          const selection = new RankSelection(poisoned ? 0 : samples - nan[f], QUANTILES);
          selection.narrow(0, counts0.subarray(f * bins0, (f + 1) * bins0), []);
          return { selection, poisoned };
        })
      );
    }
    for (const level of [1, 2] as const) {
      cancelled();
      const prefixes = new Map(wave.map(g => [g, selections.get(g)!.map(({ selection }) => selection.prefixes)]));
      const answers = await round(g =>
        level === 1 ? { level, prefixes: prefixes.get(g)!, mean: accumulators[g].patterns.mean } : { level, prefixes: prefixes.get(g)! }
      );
      const bins = radixBins(level);
      for (const g of wave) {
        const lists = prefixes.get(g)!;
        const counts = new Uint32Array(lists.reduce((sum, list) => sum + list.length * bins, 0));
        for (const answer of answers.get(g)!) {
          addInto(counts, answer.counts);
          for (const part of answer.rmse ?? []) {
            accumulators[g].addRmse(layout[part.block].offset + part.firstCycle, part.values);
          }
        }
        let offset = 0;
        selections.get(g)!.forEach(({ selection }, f) => {
          const width = lists[f].length * bins;
          selection.narrow(level, counts.subarray(offset, offset + width), lists[f]);
          offset += width;
        });
      }
    }
    for (const g of wave) {
      selections.get(g)!.forEach(({ selection, poisoned }, f) => {
        if (!poisoned && selection.n > 0) {
          const [q25, median, q75] = selection.values();
          accumulators[g].setQuantileValues(f, q25, median, q75);
        }
      });
      groups[g] = accumulators[g].result(context.threshold);
    }
    await local;
  };

  /** A group finished by the one worker holding it (a 'local' round). */
  const finishLocal = (g: number, answer: IGroupRoundAnswer) => {
    const accumulator = accumulators[g];
    times.kernelMs += answer.kernelMs;
    if (answer.partial && answer.moments) {
      accumulator.addMoments(answer.partial, answer.moments);
    }
    accumulator.finishMoments();
    for (const part of answer.rmse ?? []) {
      accumulator.addRmse(layout[part.block].offset + part.firstCycle, part.values);
    }
    plan.features.forEach((_, f) => {
      const q = answer.quantiles!;
      accumulator.setQuantileValues(f, q[f * 3], q[f * 3 + 1], q[f * 3 + 2]);
    });
    groups[g] = accumulator.result(context.threshold);
  };

  /** Groups whose cycles are all in, waiting for the next wave. */
  let completed: number[] = [];
  const flushCompleted = () => {
    if (completed.length) {
      const done = finishWave(completed);
      completed = [];
      done.catch(fail);
      finishing.push(done);
    }
  };

  /** A chunk's results: per-cycle values into its group; its group finishes when complete. */
  const addChunk = (result: IChunkResult, worker: IWorkerRef) => {
    const b = result.block;
    const g = layout[b].group;
    accumulators[g].addPerCycle(layout[b].offset + result.firstCycle, result.cycles, result.perCycle, result.reasons);
    holders[g].set(worker.slot, worker);
    if (result.stored) {
      written[b].chunks.push({ name: result.stored, firstCycle: result.firstCycle, cycles: result.cycles });
    } else if (result.storeError) {
      written[b].failed = true;
      context.store?.store.stepAside(new Error(result.storeError));
    }
    cyclesDone += result.cycles;
    if (accumulators[g].cyclesDone === plan.groups[g].cycles && localIn[g] < 0) {
      completed.push(g);
    }
  };

  // Cycles cut by row-group boundaries, assembled as their rows arrive (in any order).
  const carried = new Map<string, { data: Float32Array; filled: number }>();
  const carriedTasks: Array<Promise<void>> = [];
  const addEdge = (edge: IEdgeRows) => {
    const cycle = Math.floor(edge.position / PHASES);
    const key = `${edge.block}:${cycle}`;
    let entry = carried.get(key);
    if (!entry) {
      entry = { data: new Float32Array(F * PHASES), filled: 0 };
      carried.set(key, entry);
    }
    const at = edge.position - cycle * PHASES;
    for (let f = 0; f < F; f++) {
      entry.data.set(edge.data.subarray(f * edge.rows, (f + 1) * edge.rows), f * PHASES + at);
    }
    entry.filled += edge.rows;
    if (entry.filled === PHASES) {
      carried.delete(key);
      const tensor = { features: plan.features, cycles: 1, data: entry.data };
      const task = pool
        .run(api => api.jobChunk(job, jobBlocks[edge.block], cycle, transfer(tensor, [tensor.data.buffer as ArrayBuffer]), jobOptions), {
          owner: job
        })
        .then(({ value, worker }) => {
          addChunk(value, worker);
          flushCompleted();
          context.report({ cyclesDone });
        });
      task.catch(fail);
      carriedTasks.push(task);
    }
  };

  try {
    if (stored) {
      context.report({ stage: 'store', rowGroups: 0, rowGroupsDone: 0 });
      const tasks = stored.flatMap(({ index }, b) =>
        index.chunks.map(chunk => async () => {
          cancelled();
          let answer: ITaskResult<IChunkResult>;
          try {
            answer = await pool.run(api => api.jobStoredChunk(job, jobBlocks[b], chunk, plan.features, jobOptions), { owner: job });
          } catch (error) {
            throw errorCode(error) === 'cancelled'
              ? error
              : new StoreReadError(
                  stored!.map(entry => entry.folder),
                  error
                );
          }
          const { value, worker } = answer;
          store!.store.stats.bytesRead += chunk.cycles * F * PHASES * 4;
          addChunk(value, worker);
          flushCompleted();
          context.report({ cyclesDone });
        })
      );
      await runBounded(
        tasks,
        readWindow(
          pool.size,
          context.budget,
          [Math.max(1, ...stored.flatMap(({ index }) => index.chunks.map(chunk => chunk.cycles * PHASES)))],
          F
        )
      );
      store!.store.stats.blocksRead += stored.length;
    } else {
      const rowGroups = rowGroupsOfBlocks(summary.file.rowGroupRows, blocks);
      let rowGroupsDone = 0;
      context.report({ stage: 'decode', rowGroups: rowGroups.length, rowGroupsDone: 0 });
      const tasks = rowGroups.map(({ rowGroup, blocks: inside }) => async () => {
        cancelled();
        const {
          value,
          io: read,
          worker
        } = await pool.run(
          api =>
            api.jobRowGroup(
              job,
              context.spec,
              rowGroup,
              plan.features,
              inside.map(b => ({ ...jobBlocks[b], local: localIn[layout[b].group] === rowGroup })),
              jobOptions
            ),
          { owner: job }
        );
        io.bytesRead += read.bytesRead;
        io.requests += read.requests;
        times.decodeMs += value.decodeMs;
        times.kernelMs += value.kernelMs;
        for (const chunk of value.chunks) {
          addChunk(chunk, worker);
        }
        for (const { group, answer } of value.finished) {
          finishLocal(group, answer);
        }
        for (const edge of value.edges) {
          addEdge(edge);
        }
        flushCompleted();
        rowGroupsDone += 1;
        context.report({ rowGroupsDone, bytesRead: io.bytesRead, cyclesDone });
      });
      await runBounded(tasks, readWindow(pool.size, context.budget, summary.file.rowGroupRows, F));
    }
    // Carried cycles may complete groups (and start their finishes) as they come in.
    for (let i = 0; i < carriedTasks.length; i++) {
      await carriedTasks[i];
    }
    if (carried.size > 0) {
      throw new LocolensError('corrupt-parquet', `${summary.file.name}: the file has fewer rows than its footer says`);
    }
    context.report({ stage: 'kernels', cyclesDone });
    for (let i = 0; i < finishing.length; i++) {
      await finishing[i];
    }
    cancelled();
    // (A loop, not `some`: a group never finished is a hole in the array.)
    for (let g = 0; g < plan.groups.length; g++) {
      if (!groups[g]) {
        throw new LocolensError('corrupt-parquet', `${summary.file.name}: the file has fewer rows than its footer says`);
      }
    }
    // The store's indexes, last, once every worker's cache writes ended: a block is served from
    // the store once all its chunks are there.
    if (store && !stored) {
      const workers = new Map<number, IWorkerRef>();
      holders.forEach(held => held.forEach((ref, slot) => workers.set(slot, ref)));
      const flushed = await Promise.all([...workers.values()].map(on => pool.run(api => api.jobFlush(job), { on, owner: job })));
      for (const { value } of flushed) {
        for (const chunk of value.stored) {
          written[chunk.block].chunks.push({ name: chunk.name, firstCycle: chunk.firstCycle, cycles: chunk.cycles });
        }
        if (value.errors.length) {
          store.store.stepAside(new Error(value.errors[0]));
        }
      }
      await commitBlocks(store, plan, blocks, claims, written);
    }
  } catch (error) {
    await Promise.allSettled([...carriedTasks, ...finishing]);
    if (!stored) {
      // Cache writes still under way in the workers end first: none may land after the removal.
      await pool.broadcast(api => api.jobFlush(job));
      await Promise.all(claims.map(claim => claim?.remove()));
    }
    throw error;
  } finally {
    await pool.broadcast(api => api.jobRelease(job));
  }
  return {
    groups,
    io,
    tensorSource: stored ? 'store' : 'parquet',
    spilled: spill.filter(Boolean).length,
    decodeMs: times.decodeMs,
    kernelMs: times.kernelMs
  };
}

/**
 * Write the index of every claimed block whose chunks were all stored; remove the others' files
 * (and this run's private spill folders).
 */
async function commitBlocks(
  store: IAnalysisStore,
  plan: ICyclePlan,
  blocks: ICyclePlan['groups'][number]['blocks'],
  claims: Array<IBlockClaim | null>,
  written: Array<{ chunks: IStoredBlock['chunks']; failed: boolean }>
): Promise<void> {
  const folders = new Set<string>();
  await Promise.all(
    blocks.map(async (block, b) => {
      const claim = claims[b];
      if (!claim) {
        return;
      }
      folders.add(claim.folder);
      const chunks = written[b].chunks.sort((x, y) => x.firstCycle - y.firstCycle);
      const complete = !written[b].failed && chunks.reduce((sum, chunk) => sum + chunk.cycles, 0) === block.cycles;
      if (!complete || claim.private) {
        await claim.remove();
        return;
      }
      await claim.commit({
        version: 1,
        subject: block.subject,
        task: block.task,
        features: plan.features,
        cycles: block.cycles,
        chunks
      });
    })
  );
  await store.store.evict(folders).catch(() => undefined);
}

/**
 * The stored blocks' folders and indices, held for reading (release them when read), or null
 * when one of them is not stored or another tab is writing it.
 */
export async function storedBlocks(
  store: IAnalysisStore,
  features: string[],
  blocks: ICyclePlan['groups'][number]['blocks']
): Promise<IStoreReading | null> {
  const folders = blocks.map(block => store.store.blockFolder(store.identity, features, block.subject, block.task));
  return store.store.openBlocks(folders, features);
}

/** Add `part` into `total`, element by element. */
function addInto(total: Uint32Array, part: Uint32Array): void {
  for (let i = 0; i < total.length; i++) {
    total[i] += part[i];
  }
}

/** Run tasks with at most `limit` at once, in order; the first failure stops new starts and is thrown. */
async function runBounded(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const lane = async () => {
    while (next < tasks.length && !failed) {
      const task = tasks[next++];
      try {
        await task();
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, lane));
  if (failed) {
    throw failed;
  }
}
