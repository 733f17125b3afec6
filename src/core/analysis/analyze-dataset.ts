/**
 * Analysis of a dataset: the cycles of each subject×task (or of all subjects of a task), and
 * every kernel on them: per-cycle features, mean/SD patterns, ROM, summary statistics, outlier
 * cycles, validation and correlations.
 */
import { inspectDataset } from '../dataset/inspect-dataset';
import type { IDatasetSummary } from '../dataset/dataset-summary';
import type { SourceSpec } from '../io/byte-source';
import { LocolensError } from '../errors';
import type { DecodePool } from '../worker/decode-service';
import {
  cpuFallback,
  referenceBackend,
  selectBackend,
  wasmBackend,
  workersBackend,
  type BackendName,
  type ICycleKernelBackend
} from '../kernels/backends';
import { NoSpillStoreError, StoreReadError, analyzeOnPool } from './pool-analysis';
import { planCycles, type ICycleGroup, type ICyclePlan, type ISelection } from '../kernels/cycle-tensor';
import type { ISubjectTaskBlock } from '../dataset/dataset-summary';
import { describeError, errorCode } from '../errors';
import { chunkStatistics } from '../kernels/group-statistics';
import type { IStoredBlock } from '../store/tensor-store';
import type { IAnalysisProgress, IAnalysisResult, IAnalysisStore, IGroupAnalysis } from './result';
import { blockLayout } from './plan';
import { streamParquetChunks, streamStoredChunks, throwIfCancelled, type ChunkSink } from './cycle-stream';
import { GroupAccumulator, type IChunkStatistics } from './group-accumulator';
import { transfer } from 'comlink';

import { ALL_PARTS, groupStatistics, type IGroupStatistics, type StatisticsPart } from '../kernels/group-statistics';
import { resetGpuKernels } from '../kernels/webgpu/gpu-device';
import { GpuKernelError } from '../kernels/webgpu/gpu-kernels';
import { finalizePatterns, outliersFromRmse } from '../kernels/reference';
import { DEFAULT_KERNEL_OPTIONS, PHASES, type ICycleTensor, type IKernelOptions } from '../kernels/types';

/** Default memory budget of an analysis: 512 MB. */
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;

/** Options of an analysis. */
export interface IAnalyzeOptions extends Partial<IKernelOptions> {
  /** Kernel backend; default 'auto'. */
  backend?: BackendName | 'auto';
  /** Outlier threshold k in mean + k·SD; default 2 (LocoHub's). */
  outlierThreshold?: number;
  /** Skip the phase correlations (150 × F × F), e.g. for a quick look. */
  phaseCorrelations?: boolean;
  /** The dataset summary when already known (saves reading the key columns again). */
  summary?: IDatasetSummary;
  /**
   * Run the whole-tensor kernels (quantiles, correlations, validation) on a worker instead of
   * this thread: what the browser wants. Default: true when the backend is 'workers'.
   */
  offload?: boolean;
  /**
   * Bytes of cycle data held at once (default 512 MB). When the selected tensor is larger than
   * half of it, the groups are streamed in chunks of cycles and their results merged; the
   * per-cycle results (48 bytes per cycle and feature) come on top.
   */
  memoryBudget?: number;
  /** The tensor store: read from it when it holds every block, else fill it. */
  store?: IAnalysisStore;
  /**
   * Where a group larger than half the budget spills when there is no usable store (the caller
   * removes it afterwards; the CLI uses a temporary folder). Without either, such a group is
   * streamed from parquet, with a second read for the RMSE and the quantiles.
   */
  scratch?: IAnalysisStore;
  /** Aborting it stops the analysis with a `cancelled` error; nothing half-written is kept. */
  signal?: AbortSignal;
  onProgress?: (progress: IAnalysisProgress) => void;
}

/** The stored blocks' folders and indices, or null when one of them is not stored. */
async function storedBlocks(
  store: IAnalysisStore,
  features: string[],
  blocks: ISubjectTaskBlock[]
): Promise<Array<{ folder: string; index: IStoredBlock }> | null> {
  const folders = blocks.map(block => store.store.blockFolder(store.identity, features, block.subject, block.task));
  const indices = await Promise.all(folders.map(folder => store.store.index(folder, features)));
  return indices.every(index => index !== null) ? indices.map((index, b) => ({ folder: folders[b], index: index! })) : null;
}

/**
 * One feature's samples of one group (`[cycle][phase]`), read from the tensor store: only that
 * feature's slab of each stored chunk is read. For drawing every cycle of a streamed group.
 *
 * @returns null when a block of the group is not in the store.
 */
export async function readGroupFeature(
  result: IAnalysisResult,
  summary: IDatasetSummary,
  store: IAnalysisStore,
  groupIndex: number,
  feature: number
): Promise<Float32Array | null> {
  const plan = planCycles(summary, result.selection);
  const group = plan.groups[groupIndex];
  if (!group || plan.groups.length !== result.groups.length || feature < 0 || feature >= plan.features.length) {
    return null;
  }
  const out = new Float32Array(group.cycles * PHASES);
  const layout = blockLayout([group]);
  try {
    const stored = await storedBlocks(store, plan.features, group.blocks);
    if (!stored) {
      return null;
    }
    await streamStoredChunks(
      store.store,
      stored,
      chunk => out.set(chunk.tensor.data, (layout[chunk.block].offset + chunk.firstCycle) * PHASES),
      {
        featureIndices: [feature]
      }
    );
  } catch {
    return null;
  }
  return out;
}

/**
 * Read the groups' tensors of a (cached) in-memory result back from the tensor store, for
 * drawing every cycle, without decoding parquet.
 *
 * @returns whether every group got its tensor (false when a block is not stored).
 */
export async function loadGroupTensors(result: IAnalysisResult, summary: IDatasetSummary, store: IAnalysisStore): Promise<boolean> {
  if (result.memory.mode !== 'in-memory') {
    return false;
  }
  const plan = planCycles(summary, result.selection);
  if (plan.groups.length !== result.groups.length) {
    return false;
  }
  const tensors = plan.groups.map(group => ({
    features: plan.features,
    cycles: group.cycles,
    data: new Float32Array(plan.features.length * group.cycles * PHASES)
  }));
  const layout = blockLayout(plan.groups);
  try {
    const stored = await storedBlocks(
      store,
      plan.features,
      plan.groups.flatMap(group => group.blocks)
    );
    if (!stored) {
      return false;
    }
    await streamStoredChunks(
      store.store,
      stored,
      chunk => {
        const { group, offset } = layout[chunk.block];
        copyChunk(chunk.tensor, tensors[group], offset + chunk.firstCycle);
      },
      {}
    );
  } catch {
    return false;
  }
  result.groups.forEach((group, g) => (group.tensor = tensors[g]));
  return true;
}

/**
 * Analyse the selected cycles of a file.
 *
 * #### Notes
 * The needed columns are decoded row group by row group on the worker pool (a bounded number
 * at a time). When the selected tensor fits half the memory budget, each group's tensor is
 * assembled and analysed whole; otherwise each group is analysed in chunks of whole cycles and
 * its results merged exactly, with a second pass for the outlier RMSE and the quantiles.
 *
 * @throws LocolensError for unknown subjects, tasks or features, a file that cannot be read, or
 *   `cancelled` when `options.signal` aborts.
 */
export async function analyzeDataset(
  pool: DecodePool,
  spec: SourceSpec,
  selection: ISelection = {},
  options: IAnalyzeOptions = {}
): Promise<IAnalysisResult> {
  try {
    return await analyzeOnce(pool, spec, selection, options);
  } catch (error) {
    if (!(error instanceof StoreReadError) || !options.store) {
      throw error;
    }
    // A damaged stored tensor: dropped, and the analysis redone from parquet (refilling it).
    console.warn(`locolens: a stored tensor could not be read (${describeError(error.cause)}); it is removed and decoded again`);
    await Promise.all(error.folders.map(folder => options.store!.store.remove(folder).catch(() => undefined)));
    return analyzeOnce(pool, spec, selection, options);
  }
}

async function analyzeOnce(pool: DecodePool, spec: SourceSpec, selection: ISelection, options: IAnalyzeOptions): Promise<IAnalysisResult> {
  const started = now();
  const kernelOptions: IKernelOptions = {
    ddof: options.ddof ?? DEFAULT_KERNEL_OPTIONS.ddof,
    nan: options.nan ?? DEFAULT_KERNEL_OPTIONS.nan
  };
  const threshold = options.outlierThreshold ?? 2;
  const withPhases = options.phaseCorrelations ?? true;
  const summary = options.summary ?? (await inspectDataset(pool, spec));
  if (!summary.keyColumns.subject || !summary.keyColumns.task) {
    throw new LocolensError('missing-columns', `${summary.file.name}: subject and task columns are needed to find cycles`);
  }
  const io = { bytesRead: options.summary ? 0 : summary.io.bytesRead, requests: options.summary ? 0 : summary.io.requests };
  const summaryMs = now() - started;
  const plan = planCycles(summary, selection);
  const F = plan.features.length;
  const blocks = plan.groups.flatMap(group => group.blocks);
  const layout = blockLayout(plan.groups);
  const totalCycles = blocks.reduce((sum, block) => sum + block.cycles, 0);
  const bytesPerCycle = F * PHASES * 4;
  const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const tensorBytes = totalCycles * bytesPerCycle;
  const streamed = tensorBytes * 2 > budget;
  // Chunks being assembled at once: the blocks whose rows overlap in the file.
  const chunkCycles = streamed ? Math.max(1, Math.floor(budget / 4 / (maxOpenBlocks(blocks) * bytesPerCycle))) : Number.MAX_SAFE_INTEGER;
  const maxRowGroupRows = Math.max(1, ...summary.file.rowGroupRows);
  const window = Math.max(1, Math.min(pool.size + 1, Math.floor(budget / 4 / (maxRowGroupRows * F * 4 * 2))));
  const progress: IAnalysisProgress = {
    stage: 'decode',
    rowGroupsDone: 0,
    rowGroups: 0,
    bytesRead: io.bytesRead,
    cyclesDone: 0,
    cycles: totalCycles
  };
  const report = (update: Partial<IAnalysisProgress>) => {
    Object.assign(progress, update);
    options.onProgress?.({ ...progress });
  };

  const requested = options.backend ?? 'auto';
  const selected =
    requested === 'reference' || requested === 'wasm' || requested === 'workers' ? null : await selectBackend(requested, pool);
  const chosen: ICycleKernelBackend | null = selected?.backend ?? (requested === 'reference' ? referenceBackend : null);
  let fallback = selected?.fallback;
  if (!chosen || chosen.name !== 'webgpu') {
    // The CPU kernels run as a job inside the workers: decode once, kernels where the bytes land.
    const name: BackendName = chosen?.name ?? (requested === 'workers' ? 'workers' : 'wasm');
    try {
      const outcome = await analyzeOnPool({
        pool,
        spec,
        summary,
        plan,
        kernel: name === 'reference' ? 'reference' : 'wasm',
        options: kernelOptions,
        threshold,
        phaseCorrelations: withPhases,
        budget,
        store: options.store,
        scratch: options.scratch,
        signal: options.signal,
        report
      });
      const wall = now() - started - summaryMs;
      const worker = outcome.decodeMs + outcome.kernelMs;
      return {
        schemaVersion: 1,
        file: { name: summary.file.name, sizeBytes: summary.file.sizeBytes, rows: summary.file.rows },
        selection: { ...selection, features: plan.features },
        options: { ...kernelOptions, outlierThreshold: threshold },
        backend: name,
        fallback,
        groups: outcome.groups,
        skipped: plan.skipped,
        // Decoding and kernels overlap in the workers: the wall time is split in their proportion.
        timings: {
          summaryMs: round(summaryMs),
          decodeMs: round(worker > 0 ? (wall * outcome.decodeMs) / worker : 0),
          kernelMs: round(worker > 0 ? (wall * outcome.kernelMs) / worker : wall),
          totalMs: round(now() - started)
        },
        io: { bytesRead: io.bytesRead + outcome.io.bytesRead, requests: io.requests + outcome.io.requests },
        memory: {
          mode: outcome.spilled > 0 ? 'streamed' : 'in-memory',
          budgetBytes: budget,
          tensorBytes,
          chunkCycles: 0,
          passes: outcome.tensorSource === 'store' ? 0 : 1
        },
        tensorSource: outcome.tensorSource
      };
    } catch (error) {
      if (!(error instanceof NoSpillStoreError)) {
        throw error;
      }
      // No store to spill a large group to: stream it from parquet on this thread instead.
    }
  }
  // WebGPU (or a large group without a store): this thread coordinates, as before the job engine.
  let backend: ICycleKernelBackend =
    chosen ?? (requested === 'wasm' ? await wasmBackend().catch(() => workersBackend(pool)) : workersBackend(pool));
  const offload = options.offload ?? backend.name === 'workers';

  // Where the cycles come from: the store when it holds every block, else parquet (filling it).
  const store = options.store;
  const folders = store ? blocks.map(block => store.store.blockFolder(store.identity, plan.features, block.subject, block.task)) : [];
  let stored: Array<{ folder: string; index: IStoredBlock }> | null = null;
  if (store && !store.store.stats.disabled) {
    try {
      stored = await storedBlocks(store, plan.features, blocks);
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
        await streamStoredChunks(store!.store, stored, sink, { featureIndices, signal: options.signal });
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
          signal: options.signal,
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
          throwIfCancelled(options.signal);
          out[g] = await analyzeGroup(plan.groups[g], tensors[g], backend, kernelOptions, threshold, withPhases, offload ? pool : null);
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
        groups = await streamGroups(plan, backend, kernelOptions, threshold, withPhases, offload ? pool : null, pass, {
          layout,
          budget,
          totalCycles,
          timed,
          report,
          signal: options.signal
        });
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
  const decodeMs = now() - decodeStarted - kernelMs;
  return {
    schemaVersion: 1,
    file: { name: summary.file.name, sizeBytes: summary.file.sizeBytes, rows: summary.file.rows },
    selection: { ...selection, features: plan.features },
    options: { ...kernelOptions, outlierThreshold: threshold },
    backend: backend.name,
    adapter: backend.adapter,
    fallback,
    groups,
    skipped: plan.skipped,
    timings: { summaryMs: round(summaryMs), decodeMs: round(decodeMs), kernelMs: round(kernelMs), totalMs: round(now() - started) },
    io,
    memory: {
      mode: streamed ? 'streamed' : 'in-memory',
      budgetBytes: budget,
      tensorBytes,
      chunkCycles: streamed ? chunkCycles : 0,
      passes
    },
    tensorSource
  };
}

/** After a GPU failure: forget the device, and the CPU backend that takes over. */
async function gpuFallback(error: GpuKernelError, pool: DecodePool | null): Promise<{ backend: ICycleKernelBackend; fallback: string }> {
  resetGpuKernels();
  const { backend } = await cpuFallback(pool);
  return { backend, fallback: `WebGPU failed (${error.message}); ${backend.name} computed the results` };
}

/** Copy a chunk's cycles into a larger tensor at cycle `offset` (same features). */
function copyChunk(chunk: ICycleTensor, into: ICycleTensor, offset: number): void {
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
  plan: ICyclePlan,
  backend: ICycleKernelBackend,
  options: IKernelOptions,
  threshold: number,
  withPhases: boolean,
  pool: DecodePool | null,
  pass: (sink: ChunkSink, featureIndices?: number[], writeStore?: boolean) => Promise<void>,
  context: {
    layout: Array<{ group: number; offset: number }>;
    budget: number;
    totalCycles: number;
    timed: { ms: number };
    report: (update: Partial<IAnalysisProgress>) => void;
    signal?: AbortSignal;
  }
): Promise<IGroupAnalysis[]> {
  const F = plan.features.length;
  const accumulators = plan.groups.map(group => new GroupAccumulator(group, plan.features, options, withPhases));
  const timed = async <T>(work: Promise<T>): Promise<T> => {
    const started = now();
    try {
      return await work;
    } finally {
      context.timed.ms += now() - started;
    }
  };
  let cyclesDone = 0;
  await pass(
    async chunk => {
      const { group, offset: first } = context.layout[chunk.block];
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
      context.report({ stage: 'decode', cyclesDone });
    },
    undefined,
    true
  );

  // Quantiles need every sample of a feature: as many features per pass as fit half the budget.
  const perFeature = context.totalCycles * PHASES * 4;
  const featuresPerPass = Math.max(1, Math.min(F, Math.floor(context.budget / 2 / perFeature)));
  for (let first = 0; first < F; first += featuresPerPass) {
    const batch = Array.from({ length: Math.min(featuresPerPass, F - first) }, (_, i) => first + i);
    const samples = plan.groups.map(group => batch.map(() => new Float32Array(group.cycles * PHASES)));
    const withRmse = first === 0;
    cyclesDone = 0;
    await pass(
      async chunk => {
        const { group: g, offset: first } = context.layout[chunk.block];
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
        context.report({ stage: 'second-pass', cyclesDone });
      },
      withRmse ? undefined : batch
    );
    throwIfCancelled(context.signal);
    const started = now();
    accumulators.forEach((accumulator, g) => batch.forEach((f, i) => accumulator.setQuantiles(f, samples[g][i])));
    context.timed.ms += now() - started;
  }
  return accumulators.map(accumulator => accumulator.result(threshold));
}

async function analyzeGroup(
  group: ICycleGroup,
  tensor: ICycleTensor,
  backend: ICycleKernelBackend,
  options: IKernelOptions,
  threshold: number,
  withPhaseCorrelations: boolean,
  pool: DecodePool | null
): Promise<IGroupAnalysis> {
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

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
