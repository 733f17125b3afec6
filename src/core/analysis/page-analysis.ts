/**
 * The page-coordinated analysis: this thread streams chunks of cycles from the workers (or the
 * tensor store), assembles group tensors or accumulates streamed groups, and hands the kernels
 * to a backend. What serves WebGPU (its device lives on this thread) and a group larger than the
 * budget when no store can take its spill (a second read of parquet); every CPU analysis with a
 * store runs as a job in the workers instead (./pool-analysis.ts).
 */
import { transfer } from 'comlink';

import type { IDatasetSummary, ISubjectTaskBlock } from '../dataset/dataset-summary';
import { describeError, errorCode } from '../errors';
import type { SourceSpec } from '../io/byte-source';
import { cpuFallback, type ICycleKernelBackend } from '../kernels/backends';
import type { ICycleGroup, ICyclePlan } from '../kernels/cycle-tensor';
import { ALL_PARTS, chunkStatistics, groupStatistics, type IGroupStatistics, type StatisticsPart } from '../kernels/group-statistics';
import { finalizePatterns, outliersFromRmse } from '../kernels/reference';
import { PHASES, type ICycleTensor, type IKernelOptions } from '../kernels/types';
import { resetGpuKernels } from '../kernels/webgpu/gpu-device';
import { GpuKernelError } from '../kernels/webgpu/gpu-kernels';
import type { IStoredBlock } from '../store/tensor-store';
import type { DecodePool } from '../worker/decode-service';
import { streamParquetChunks, streamStoredChunks, throwIfCancelled, type ChunkSink } from './cycle-stream';
import { GroupAccumulator, type IChunkStatistics } from './group-accumulator';
import { blockLayout } from './plan';
import { StoreReadError, storedBlocks } from './pool-analysis';
import type { IAnalysisProgress, IAnalysisResult, IAnalysisStore, IGroupAnalysis } from './result';

/** What the page-coordinated analysis needs. */
export interface IPageAnalysisContext {
  pool: DecodePool;
  spec: SourceSpec;
  summary: IDatasetSummary;
  plan: ICyclePlan;
  backend: ICycleKernelBackend;
  options: IKernelOptions;
  threshold: number;
  phaseCorrelations: boolean;
  budget: number;
  /** Run the whole-tensor statistics on the workers (on copies) rather than this thread. */
  offload: boolean;
  store?: IAnalysisStore;
  signal?: AbortSignal;
  progress: IAnalysisProgress;
  report: (update: Partial<IAnalysisProgress>) => void;
}

/** What it returns. */
export interface IPageAnalysisOutcome {
  groups: IGroupAnalysis[];
  /** The backend that produced the numbers (the CPU after a GPU failure), and why. */
  backend: ICycleKernelBackend;
  fallback?: string;
  io: { bytesRead: number; requests: number };
  tensorSource: IAnalysisResult['tensorSource'];
  memory: Pick<IAnalysisResult['memory'], 'mode' | 'chunkCycles' | 'passes'>;
  decodeMs: number;
  kernelMs: number;
}

/** Analyse the plan's groups with this thread coordinating (see the module's notes). */
export async function analyzeOnPage(context: IPageAnalysisContext): Promise<IPageAnalysisOutcome> {
  // The stored blocks it reads stay held (shared locks) until it ends.
  const held: Array<() => unknown> = [];
  try {
    return await runOnPage(context, held);
  } finally {
    await Promise.all(held.map(release => release()));
  }
}

async function runOnPage(context: IPageAnalysisContext, held: Array<() => unknown>): Promise<IPageAnalysisOutcome> {
  const { pool, spec, summary, plan, budget, report, progress } = context;
  const F = plan.features.length;
  const blocks = plan.groups.flatMap(group => group.blocks);
  const layout = blockLayout(plan.groups);
  const totalCycles = blocks.reduce((sum, block) => sum + block.cycles, 0);
  const bytesPerCycle = F * PHASES * 4;
  const streamed = totalCycles * bytesPerCycle * 2 > budget;
  // Chunks being assembled at once: the blocks whose rows overlap in the file.
  const chunkCycles = streamed ? Math.max(1, Math.floor(budget / 4 / (maxOpenBlocks(blocks) * bytesPerCycle))) : Number.MAX_SAFE_INTEGER;
  const maxRowGroupRows = Math.max(1, ...summary.file.rowGroupRows);
  const window = Math.max(1, Math.min(pool.size + 1, Math.floor(budget / 4 / (maxRowGroupRows * F * 4 * 2))));
  const io = { bytesRead: 0, requests: 0 };
  let backend = context.backend;
  let fallback: string | undefined;
  const offload = context.offload;

  // Where the cycles come from: the store when it holds every block, else parquet (filling it).
  const store = context.store;
  const folders = store ? blocks.map(block => store.store.blockFolder(store.identity, plan.features, block.subject, block.task)) : [];
  let stored: Array<{ folder: string; index: IStoredBlock }> | null = null;
  if (store && !store.store.stats.disabled) {
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
  const tensorSource: IAnalysisResult['tensorSource'] = stored ? 'store' : 'parquet';

  /** One pass over every chunk of every block, from the store or from parquet. */
  let passes = 0;
  const pass = async (sink: ChunkSink, featureIndices?: number[], writeStore = false) => {
    passes += 1;
    if (stored) {
      report({ stage: 'store', rowGroupsDone: 0, rowGroups: 0 });
      try {
        await streamStoredChunks(store!.store, stored, sink, { featureIndices, signal: context.signal });
      } catch (error) {
        throw errorCode(error) === 'cancelled'
          ? error
          : new StoreReadError(
              stored.map(entry => entry.folder),
              error
            );
      }
      return;
    }
    const writers =
      writeStore && store && !store.store.stats.disabled
        ? blocks.map((block, b) => store.store.writer(folders[b], block.subject, block.task, plan.features, block.cycles))
        : null;
    let writing: Promise<void> = Promise.resolve();
    const features = featureIndices ? featureIndices.map(f => plan.features[f]) : plan.features;
    const base = { ...io };
    try {
      const read = await streamParquetChunks(
        pool,
        spec,
        summary.file.rowGroupRows,
        blocks,
        features,
        async chunk => {
          if (writers) {
            // One write in flight (back-pressure), overlapping the kernels.
            await writing;
            writing = writers[chunk.block].add(chunk.firstCycle, chunk.tensor);
          }
          await sink(chunk);
        },
        {
          capacity: chunkCycles,
          window,
          signal: context.signal,
          onProgress: update => report({ ...update, bytesRead: base.bytesRead + update.bytesRead })
        }
      );
      io.bytesRead = base.bytesRead + read.bytesRead;
      io.requests = base.requests + read.requests;
      await writing;
      if (writers) {
        await Promise.all(writers.map(writer => writer.commit()));
        await store!.store.evict(new Set(folders)).catch(() => undefined);
      }
    } catch (error) {
      await writing.catch(() => undefined);
      if (writers) {
        await Promise.all(writers.map(writer => writer.abort()));
      }
      throw error;
    }
  };

  const decodeStarted = now();
  let kernelMs: number;
  let groups: IGroupAnalysis[];
  if (!streamed) {
    // In memory: assemble each group's tensor, then run every kernel on it.
    const tensors = plan.groups.map(group => ({
      features: plan.features,
      cycles: group.cycles,
      data: new Float32Array(F * group.cycles * PHASES)
    }));
    await pass(
      chunk => {
        const { group, offset } = layout[chunk.block];
        copyChunk(chunk.tensor, tensors[group], offset + chunk.firstCycle);
        report({ cyclesDone: progress.cyclesDone + chunk.tensor.cycles });
      },
      undefined,
      true
    );
    const kernelStarted = now();
    report({ stage: 'kernels' });
    // Groups run side by side when their whole-tensor statistics go to the workers (a GPU
    // backend keeps one group at a time on its device).
    const lanes = offload && backend.name !== 'webgpu' ? Math.max(1, pool.size) : 1;
    const runAll = async (): Promise<IGroupAnalysis[]> => {
      const out: IGroupAnalysis[] = new Array(plan.groups.length);
      let next = 0;
      const lane = async () => {
        while (next < plan.groups.length) {
          const g = next++;
          throwIfCancelled(context.signal);
          out[g] = await analyzeGroup(context, plan.groups[g], tensors[g], backend);
        }
      };
      const settled = await Promise.allSettled(Array.from({ length: Math.min(lanes, plan.groups.length) }, lane));
      const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) {
        throw failed.reason;
      }
      return out;
    };
    try {
      groups = await runAll();
    } catch (error) {
      if (!(error instanceof GpuKernelError)) {
        throw error;
      }
      // A lost device or a shader error: no partial GPU result is kept; the CPU redoes every
      // group, and the result says so.
      ({ backend, fallback } = await gpuFallback(error, offload ? pool : null));
      groups = await runAll();
    }
    kernelMs = now() - kernelStarted;
  } else {
    for (let attempt = 0; ; attempt++) {
      try {
        const timed = { ms: 0 };
        groups = await streamGroups(context, backend, pass, { layout, totalCycles, timed });
        kernelMs = timed.ms;
        break;
      } catch (error) {
        if (!(error instanceof GpuKernelError) || attempt > 0) {
          throw error;
        }
        ({ backend, fallback } = await gpuFallback(error, offload ? pool : null));
        report({ cyclesDone: 0 });
      }
    }
  }
  return {
    groups,
    backend,
    fallback,
    io,
    tensorSource,
    memory: { mode: streamed ? 'streamed' : 'in-memory', chunkCycles: streamed ? chunkCycles : 0, passes },
    decodeMs: now() - decodeStarted - kernelMs,
    kernelMs
  };
}

/** After a GPU failure: forget the device, and the CPU backend that takes over. */
async function gpuFallback(error: GpuKernelError, pool: DecodePool | null): Promise<{ backend: ICycleKernelBackend; fallback: string }> {
  resetGpuKernels();
  const { backend } = await cpuFallback(pool);
  return { backend, fallback: `WebGPU failed (${error.message}); ${backend.name} computed the results` };
}

/** Copy a chunk's cycles into a larger tensor at cycle `offset` (same features). */
export function copyChunk(chunk: ICycleTensor, into: ICycleTensor, offset: number): void {
  const n = chunk.cycles * PHASES;
  for (let f = 0; f < chunk.features.length; f++) {
    into.data.set(chunk.data.subarray(f * n, (f + 1) * n), (f * into.cycles + offset) * PHASES);
  }
}

/** The most blocks whose row ranges overlap in the file (chunks assembled at once). */
function maxOpenBlocks(blocks: ISubjectTaskBlock[]): number {
  const events: Array<[row: number, delta: number]> = [];
  for (const block of blocks) {
    const first = Math.min(...block.spans.map(([row]) => row));
    const last = Math.max(...block.spans.map(([row, rows]) => row + rows));
    events.push([first, 1], [last, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 1;
  for (const [, delta] of events) {
    open += delta;
    most = Math.max(most, open);
  }
  return most;
}

/**
 * The streamed analysis of every group: a first pass of per-cycle kernels, pattern moments,
 * validation and co-moments; a second of RMSE against the mean pattern, with the samples of
 * as many features as fit the budget collected for exact quantiles; more passes for the other
 * features' quantiles (only their columns are read).
 */
async function streamGroups(
  context: IPageAnalysisContext,
  backend: ICycleKernelBackend,
  pass: (sink: ChunkSink, featureIndices?: number[], writeStore?: boolean) => Promise<void>,
  state: { layout: Array<{ group: number; offset: number }>; totalCycles: number; timed: { ms: number } }
): Promise<IGroupAnalysis[]> {
  const { plan, options, threshold, phaseCorrelations: withPhases, budget, report, signal } = context;
  const pool = context.offload ? context.pool : null;
  const F = plan.features.length;
  const accumulators = plan.groups.map(group => new GroupAccumulator(group, plan.features, options, withPhases));
  const timed = async <T>(work: Promise<T>): Promise<T> => {
    const started = now();
    try {
      return await work;
    } finally {
      state.timed.ms += now() - started;
    }
  };
  let cyclesDone = 0;
  await pass(
    async chunk => {
      const { group, offset: first } = state.layout[chunk.block];
      const accumulator = accumulators[group];
      const offset = first + chunk.firstCycle;
      const statistics: Promise<IChunkStatistics> = pool
        ? pool
            .run(api => {
              const copy = { ...chunk.tensor, data: chunk.tensor.data.slice() };
              return api.chunkStatistics(transfer(copy, [copy.data.buffer as ArrayBuffer]), withPhases);
            })
            .then(result => result.value)
        : Promise.resolve().then(() => chunkStatistics(chunk.tensor, withPhases));
      statistics.catch(() => undefined);
      const { perCycle, partial } = await timed(backend.perCycleAndPatterns(chunk.tensor, options));
      accumulator.addFirstPass(offset, chunk.tensor.cycles, perCycle, partial, await timed(statistics));
      cyclesDone += chunk.tensor.cycles;
      report({ stage: 'decode', cyclesDone });
    },
    undefined,
    true
  );

  // Quantiles need every sample of a feature: as many features per pass as fit half the budget.
  const perFeature = state.totalCycles * PHASES * 4;
  const featuresPerPass = Math.max(1, Math.min(F, Math.floor(budget / 2 / perFeature)));
  for (let first = 0; first < F; first += featuresPerPass) {
    const batch = Array.from({ length: Math.min(featuresPerPass, F - first) }, (_, i) => first + i);
    const samples = plan.groups.map(group => batch.map(() => new Float32Array(group.cycles * PHASES)));
    const withRmse = first === 0;
    cyclesDone = 0;
    await pass(
      async chunk => {
        const { group: g, offset: first } = state.layout[chunk.block];
        const offset = first + chunk.firstCycle;
        const n = chunk.tensor.cycles * PHASES;
        // The chunk holds every feature in the RMSE pass, else only the batch's.
        batch.forEach((f, i) => {
          const at = withRmse ? f : i;
          samples[g][i].set(chunk.tensor.data.subarray(at * n, (at + 1) * n), offset * PHASES);
        });
        if (withRmse) {
          accumulators[g].addRmse(offset, await timed(backend.cycleRmse(chunk.tensor, accumulators[g].patterns.mean, options)));
        }
        cyclesDone += chunk.tensor.cycles;
        report({ stage: 'second-pass', cyclesDone });
      },
      withRmse ? undefined : batch
    );
    throwIfCancelled(signal);
    const started = now();
    accumulators.forEach((accumulator, g) => batch.forEach((f, i) => accumulator.setQuantiles(f, samples[g][i])));
    state.timed.ms += now() - started;
  }
  return accumulators.map(accumulator => accumulator.result(threshold));
}

async function analyzeGroup(
  context: IPageAnalysisContext,
  group: ICycleGroup,
  tensor: ICycleTensor,
  backend: ICycleKernelBackend
): Promise<IGroupAnalysis> {
  const { options, threshold, phaseCorrelations: withPhaseCorrelations } = context;
  const pool = context.offload ? context.pool : null;
  // The whole-tensor statistics run on a worker (on a copy) while the fused kernels run; a GPU
  // backend computes validation and correlations itself, the CPU the quantiles.
  const parts: StatisticsPart[] = backend.groupStatistics ? ['summary'] : ALL_PARTS;
  const cpuStatistics: Promise<Partial<IGroupStatistics>> = pool
    ? pool
        .run(api => {
          const copy = { ...tensor, data: tensor.data.slice() };
          return api.groupStatistics(transfer(copy, [copy.data.buffer as ArrayBuffer]), options, withPhaseCorrelations, parts);
        })
        .then(result => result.value)
    : Promise.resolve(groupStatistics(tensor, options, withPhaseCorrelations, parts));
  const gpuStatistics = backend.groupStatistics ? backend.groupStatistics(tensor, options, withPhaseCorrelations) : Promise.resolve({});
  // Both are awaited before anything else fails, so no promise is left unobserved.
  const statistics = Promise.all([cpuStatistics, gpuStatistics]).then(([cpu, gpu]) => ({ ...cpu, ...gpu }) as IGroupStatistics);
  statistics.catch(() => undefined);
  const { perCycle, partial } = await backend.perCycleAndPatterns(tensor, options);
  const patterns = finalizePatterns(partial, options);
  const rmse = await backend.cycleRmse(tensor, patterns.mean, options);
  const stats = await statistics;
  return {
    task: group.task,
    subjects: group.subjects,
    cycles: group.cycles,
    cycleSubjects: group.cycleSubjects,
    cycleIndex: group.cycleIndex,
    features: tensor.features,
    perCycle,
    patterns,
    romOverall: stats.romOverall,
    summary: stats.summary,
    outliers: outliersFromRmse(rmse, options, threshold),
    validation: stats.validation,
    correlations: stats.correlations,
    tensor
  };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
