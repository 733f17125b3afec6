/**
 * Analysis of a dataset: the cycles of each subject×task (or of all subjects of a task), and
 * every kernel on them: per-cycle features, mean/SD patterns, ROM, summary statistics, outlier
 * cycles, validation and correlations.
 */
import { inspectDataset } from '../dataset/inspect-dataset';
import type { IDatasetSummary } from '../dataset/dataset-summary';
import type { SourceSpec } from '../io/byte-source';
import { LocolensError } from '../errors';
import type { WorkerPool } from '../pool/worker-pool';
import { cpuFallback, selectBackend, type BackendName, type ICycleKernelBackend } from '../kernels/backends';
import { planCycles, type ICycleGroup, type ICyclePlan, type ISelection } from '../kernels/cycle-tensor';
import type { ISubjectTaskBlock } from '../dataset/dataset-summary';
import { describeError, errorCode } from '../errors';
import { chunkStatistics } from '../kernels/group-statistics';
import type { IStoredBlock, TensorStore } from '../store/tensor-store';
import { streamParquetChunks, streamStoredChunks, throwIfCancelled, type ChunkSink } from './cycle-stream';
import { GroupAccumulator, type IChunkStatistics } from './group-accumulator';
import { transfer } from 'comlink';

import { ALL_PARTS, groupStatistics, type IGroupStatistics, type StatisticsPart } from '../kernels/group-statistics';
import { resetGpuKernels } from '../kernels/webgpu/gpu-device';
import { GpuKernelError } from '../kernels/webgpu/gpu-kernels';
import { finalizePatterns, outliersFromRmse } from '../kernels/reference';
import {
  DEFAULT_KERNEL_OPTIONS,
  PHASES,
  type ICorrelations,
  type ICycleTensor,
  type IKernelOptions,
  type IOutliers,
  type IPatterns,
  type IPerCycleFeatures,
  type ISummaryStatistics,
  type IValidation
} from '../kernels/types';

/** Progress of an analysis, reported at most once per row group or chunk. */
export interface IAnalysisProgress {
  /** What runs now: reading parquet, reading the tensor store, the second pass, the kernels. */
  stage: 'summary' | 'decode' | 'store' | 'second-pass' | 'kernels';
  rowGroupsDone: number;
  rowGroups: number;
  bytesRead: number;
  cyclesDone: number;
  cycles: number;
}

/** How far a stage has got, 0–1: by row groups while reading parquet, else by cycles. */
export function progressFraction(progress: IAnalysisProgress | null | undefined): number {
  if (!progress) {
    return 0;
  }
  return progress.rowGroups ? progress.rowGroupsDone / progress.rowGroups : progress.cycles ? progress.cyclesDone / progress.cycles : 0;
}

/** The tensor store an analysis may read and fill, with the file's identity. */
export interface IAnalysisStore {
  store: TensorStore;
  /** Names the file's content: path, size, modification time and footer hash. */
  identity: string;
}

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
  /** Aborting it stops the analysis with a `cancelled` error; nothing half-written is kept. */
  signal?: AbortSignal;
  onProgress?: (progress: IAnalysisProgress) => void;
}

/** Every result for one group of cycles. */
export interface IGroupAnalysis {
  task: string;
  subjects: string[];
  cycles: number;
  /** Subject and index within its subject×task of each cycle. */
  cycleSubjects: string[];
  cycleIndex: number[];
  features: string[];
  perCycle: IPerCycleFeatures;
  patterns: IPatterns;
  /** Global max − global min per feature. */
  romOverall: Float64Array;
  summary: ISummaryStatistics;
  outliers: IOutliers;
  validation: IValidation;
  correlations: ICorrelations;
  /**
   * The cycles themselves (`[feature][cycle][phase]`), for drawing every cycle, when the group
   * was analysed in memory (absent when streamed). Not part of the JSON form.
   */
  tensor?: ICycleTensor;
}

/** The result of an analysis. */
export interface IAnalysisResult {
  schemaVersion: 1;
  file: { name: string; sizeBytes: number; rows: number };
  selection: ISelection;
  options: IKernelOptions & { outlierThreshold: number };
  /** The backend that produced the numbers. */
  backend: BackendName;
  /** The GPU, when the backend is webgpu. */
  adapter?: string;
  /** Why the backend differs from the one asked for (e.g. WebGPU unavailable or its device lost). */
  fallback?: string;
  groups: IGroupAnalysis[];
  skipped: Array<{ subject: string; task: string; rows: number; reason: string }>;
  timings: { summaryMs: number; decodeMs: number; kernelMs: number; totalMs: number };
  io: { bytesRead: number; requests: number };
  /** How the cycles were held: all in memory, or streamed in chunks under the budget. */
  memory: { mode: 'in-memory' | 'streamed'; budgetBytes: number; tensorBytes: number; chunkCycles: number; passes: number };
  /** Where the cycles came from: parquet (and written to the store), or the store. */
  tensorSource: 'parquet' | 'store';
  /** Set when the whole result came from a results cache. */
  cached?: boolean;
}

/** The result without the group tensors (the form kept in a results cache). */
export function withoutTensors(result: IAnalysisResult): IAnalysisResult {
  return { ...result, groups: result.groups.map(({ tensor, ...group }) => group) };
}

/** Whether a value has the shape of an analysis result (a cached entry may be damaged). */
export function isAnalysisResult(value: unknown): value is IAnalysisResult {
  const result = value as IAnalysisResult | null;
  return (
    !!result &&
    result.schemaVersion === 1 &&
    Array.isArray(result.groups) &&
    result.groups.every(group => ArrayBuffer.isView(group.perCycle?.mean) && ArrayBuffer.isView(group.patterns?.mean) && Array.isArray(group.features)) &&
    typeof result.timings?.totalMs === 'number' &&
    typeof result.memory?.mode === 'string'
  );
}

/** Where each block's cycles go: its group, and its first cycle in the group (blocks in plan order). */
function blockLayout(groups: ICycleGroup[]): Array<{ group: number; offset: number }> {
  const layout: Array<{ group: number; offset: number }> = [];
  groups.forEach((group, g) => {
    let offset = 0;
    for (const block of group.blocks) {
      layout.push({ group: g, offset });
      offset += block.cycles;
    }
  });
  return layout;
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
    await streamStoredChunks(store.store, stored, chunk => out.set(chunk.tensor.data, (layout[chunk.block].offset + chunk.firstCycle) * PHASES), {
      featureIndices: [feature]
    });
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
  const tensors = plan.groups.map(group => ({ features: plan.features, cycles: group.cycles, data: new Float32Array(plan.features.length * group.cycles * PHASES) }));
  const layout = blockLayout(plan.groups);
  try {
    const stored = await storedBlocks(store, plan.features, plan.groups.flatMap(group => group.blocks));
    if (!stored) {
      return false;
    }
    await streamStoredChunks(store.store, stored, chunk => {
      const { group, offset } = layout[chunk.block];
      copyChunk(chunk.tensor, tensors[group], offset + chunk.firstCycle);
    }, {});
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
  pool: WorkerPool,
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

/** Reading the tensor store failed (a damaged or vanished chunk). */
class StoreReadError extends Error {
  constructor(
    readonly folders: string[],
    readonly cause: unknown
  ) {
    super(`tensor store read failed: ${describeError(cause)}`);
  }
}

async function analyzeOnce(pool: WorkerPool, spec: SourceSpec, selection: ISelection, options: IAnalyzeOptions): Promise<IAnalysisResult> {
  const started = now();
  const kernelOptions: IKernelOptions = { ddof: options.ddof ?? DEFAULT_KERNEL_OPTIONS.ddof, nan: options.nan ?? DEFAULT_KERNEL_OPTIONS.nan };
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
  const progress: IAnalysisProgress = { stage: 'decode', rowGroupsDone: 0, rowGroups: 0, bytesRead: io.bytesRead, cyclesDone: 0, cycles: totalCycles };
  const report = (update: Partial<IAnalysisProgress>) => {
    Object.assign(progress, update);
    options.onProgress?.({ ...progress });
  };

  const selected = await selectBackend(options.backend ?? 'auto', pool);
  let backend = selected.backend;
  let fallback = selected.fallback;
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
        throw errorCode(error) === 'cancelled' ? error : new StoreReadError(stored.map(entry => entry.folder), error);
      }
      return;
    }
    const writers = writeStore && store && !store.store.stats.disabled
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
  let kernelMs = 0;
  let groups: IGroupAnalysis[] = [];
  if (!streamed) {
    // In memory: assemble each group's tensor, then run every kernel on it.
    const tensors = plan.groups.map(group => ({ features: plan.features, cycles: group.cycles, data: new Float32Array(F * group.cycles * PHASES) }));
    await pass(chunk => {
      const { group, offset } = layout[chunk.block];
      copyChunk(chunk.tensor, tensors[group], offset + chunk.firstCycle);
      report({ cyclesDone: progress.cyclesDone + chunk.tensor.cycles });
    }, undefined, true);
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
    memory: { mode: streamed ? 'streamed' : 'in-memory', budgetBytes: budget, tensorBytes, chunkCycles: streamed ? chunkCycles : 0, passes },
    tensorSource
  };
}

/** After a GPU failure: forget the device, and the CPU backend that takes over. */
async function gpuFallback(error: GpuKernelError, pool: WorkerPool | null): Promise<{ backend: ICycleKernelBackend; fallback: string }> {
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
  pool: WorkerPool | null,
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
  await pass(async chunk => {
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
  }, undefined, true);

  // Quantiles need every sample of a feature: as many features per pass as fit half the budget.
  const perFeature = context.totalCycles * PHASES * 4;
  const featuresPerPass = Math.max(1, Math.min(F, Math.floor(context.budget / 2 / perFeature)));
  for (let first = 0; first < F; first += featuresPerPass) {
    const batch = Array.from({ length: Math.min(featuresPerPass, F - first) }, (_, i) => first + i);
    const samples = plan.groups.map(group => batch.map(() => new Float32Array(group.cycles * PHASES)));
    const withRmse = first === 0;
    cyclesDone = 0;
    await pass(async chunk => {
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
    }, withRmse ? undefined : batch);
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
  pool: WorkerPool | null
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

/**
 * The result as plain JSON: per feature, arrays of numbers (NaN as null).
 */
export function analysisToJSON(result: IAnalysisResult): unknown {
  const list = (array: ArrayLike<number>) => Array.from(array, value => (Number.isFinite(value) ? value : null));
  return {
    schemaVersion: result.schemaVersion,
    file: result.file,
    selection: result.selection,
    options: result.options,
    backend: result.backend,
    adapter: result.adapter,
    fallback: result.fallback,
    skipped: result.skipped,
    timings: result.timings,
    io: result.io,
    memory: result.memory,
    tensorSource: result.tensorSource,
    groups: result.groups.map(group => {
      const F = group.features.length;
      const C = group.cycles;
      const byFeature = <T>(make: (f: number) => T) => Object.fromEntries(group.features.map((name, f) => [name, make(f)]));
      return {
        task: group.task,
        subjects: group.subjects,
        cycles: C,
        cycleSubjects: group.cycleSubjects,
        cycleIndex: group.cycleIndex,
        features: group.features,
        perCycle: byFeature(f =>
          Object.fromEntries(
            (Object.keys(group.perCycle) as Array<keyof IPerCycleFeatures>).map(key => [key, list(group.perCycle[key].subarray(f * C, (f + 1) * C))])
          )
        ),
        patterns: byFeature(f => ({
          mean: list(group.patterns.mean.subarray(f * 150, (f + 1) * 150)),
          std: list(group.patterns.std.subarray(f * 150, (f + 1) * 150))
        })),
        rom: byFeature(f => ({ overall: list([group.romOverall[f]])[0], byCycle: list(group.perCycle.rom.subarray(f * C, (f + 1) * C)) })),
        summary: byFeature(f =>
          Object.fromEntries((Object.keys(group.summary) as Array<keyof ISummaryStatistics>).map(key => [key, list([group.summary[key][f]])[0]]))
        ),
        outliers: { threshold: group.outliers.threshold, cut: list([group.outliers.cut])[0], cycles: group.outliers.cycles, rmse: list(group.outliers.rmse) },
        validation: { valid: Array.from(group.validation.valid, v => v === 1), reasons: Array.from(group.validation.reasons) },
        correlations: {
          features: Array.from({ length: F }, (_, a) => list(group.correlations.features.subarray(a * F, (a + 1) * F))),
          phases: group.correlations.phases
            ? Array.from({ length: 150 }, (_, p) =>
                Array.from({ length: F }, (_, a) => list(group.correlations.phases!.subarray((p * F + a) * F, (p * F + a + 1) * F)))
              )
            : null
        }
      };
    })
  };
}
