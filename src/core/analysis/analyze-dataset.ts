/**
 * Analysis of a dataset: the cycles of each subject×task (or of all subjects of a task), and
 * every kernel on them: per-cycle features, mean/SD patterns, ROM, summary statistics, outlier
 * cycles, validation and correlations.
 */
import { inspectDataset } from '../dataset/inspect-dataset';
import type { IDatasetSummary } from '../dataset/dataset-summary';
import { LocolensError, describeError } from '../errors';
import { pinnedSpec, type SourceSpec } from '../io/byte-source';
import {
  referenceBackend,
  selectBackend,
  wasmBackend,
  workersBackend,
  type BackendName,
  type ICycleKernelBackend
} from '../kernels/backends';
import { planCycles, type ISelection } from '../kernels/cycle-tensor';
import { DEFAULT_KERNEL_OPTIONS, PHASES, type IKernelOptions } from '../kernels/types';
import type { DecodePool } from '../worker/decode-service';
import { streamStoredChunks } from './cycle-stream';
import { analyzeOnPage, copyChunk } from './page-analysis';
import { blockLayout, readWindow } from './plan';
import { memoryLedgerOf } from './memory-ledger';
import { NoSpillStoreError, StoreReadError, analyzeOnPool, storedBlocks } from './pool-analysis';
import type { IAnalysisProgress, IAnalysisResult, IAnalysisStore } from './result';

/** Default memory budget of an analysis: 512 MB. */
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;

/** Options of an analysis. */
export interface IAnalyzeOptions extends Partial<IKernelOptions> {
  /** Kernel backend; default 'auto'. */
  backend?: BackendName | 'auto';
  /** Analyse a file that is not phase-indexed (no phase column), which is refused otherwise. */
  force?: boolean;
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
    try {
      await streamStoredChunks(
        store.store,
        stored.blocks,
        chunk => out.set(chunk.tensor.data, (layout[chunk.block].offset + chunk.firstCycle) * PHASES),
        {
          featureIndices: [feature]
        }
      );
    } finally {
      await stored.release();
    }
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
    try {
      await streamStoredChunks(
        store.store,
        stored.blocks,
        chunk => {
          const { group, offset } = layout[chunk.block];
          copyChunk(chunk.tensor, tensors[group], offset + chunk.firstCycle);
        },
        {}
      );
    } finally {
      await stored.release();
    }
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
  // Only the version of the file summarized is read: an overwrite since is file-changed.
  spec = pinnedSpec(spec, summary.file.version);
  if (!summary.keyColumns.subject || !summary.keyColumns.task) {
    throw new LocolensError('missing-columns', `${summary.file.name}: subject and task columns are needed to find cycles`);
  }
  // LocoHub refuses a file without a phase column; `force` goes on, with the finding in the result.
  const notPhaseIndexed = summary.findings.find(finding => finding.code === 'missing-phase');
  if (notPhaseIndexed && !options.force) {
    throw new LocolensError(
      'not-phase-indexed',
      `${summary.file.name}: ${notPhaseIndexed.message}; LocoHub refuses such a file (analyse it anyway with --force, or "Analyse anyway" in the view)`
    );
  }
  const warnings = notPhaseIndexed
    ? [`${notPhaseIndexed.message}: analysed anyway (forced); cycles are cut every 150 rows without a phase to check them against`]
    : [];
  const io = { bytesRead: options.summary ? 0 : summary.io.bytesRead, requests: options.summary ? 0 : summary.io.requests };
  const summaryMs = now() - started;
  const plan = planCycles(summary, selection);
  const totalCycles = plan.groups.reduce((sum, group) => sum + group.cycles, 0);
  const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const tensorBytes = totalCycles * plan.features.length * PHASES * 4;
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
  // One budget for every analysis on this pool: what this one holds at once (its tensors and its
  // read window; a larger one streams within the budget) is reserved before anything is decoded.
  const window = readWindow(pool.size, budget, summary.file.rowGroupRows, plan.features.length);
  // (a small file holds fewer rows than a window of its row groups)
  const windowBytes = Math.min(window * Math.max(1, ...summary.file.rowGroupRows), summary.file.rows) * plan.features.length * 4;
  const release = await memoryLedgerOf(pool, budget).reserve(tensorBytes + windowBytes, options.signal);
  try {
    return await analyzeReserved();
  } finally {
    release();
  }

  async function analyzeReserved(): Promise<IAnalysisResult> {
    const requested = options.backend ?? 'auto';
    const selected =
      requested === 'reference' || requested === 'wasm' || requested === 'workers' ? null : await selectBackend(requested, pool);
    const chosen: ICycleKernelBackend | null = selected?.backend ?? (requested === 'reference' ? referenceBackend : null);
    const fallback = selected?.fallback;
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
          tensorSource: outcome.tensorSource,
          ...(warnings.length ? { warnings } : {})
        };
      } catch (error) {
        if (!(error instanceof NoSpillStoreError)) {
          throw error;
        }
        // No store to spill a large group to: stream it from parquet on this thread instead.
      }
    }
    // WebGPU (or a large group without a store): this thread coordinates.
    const backend: ICycleKernelBackend =
      chosen ?? (requested === 'wasm' ? await wasmBackend().catch(() => workersBackend(pool)) : workersBackend(pool));
    const outcome = await analyzeOnPage({
      pool,
      spec,
      summary,
      plan,
      backend,
      options: kernelOptions,
      threshold,
      phaseCorrelations: withPhases,
      budget,
      offload: options.offload ?? backend.name === 'workers',
      store: options.store,
      signal: options.signal,
      progress,
      report
    });
    return {
      schemaVersion: 1,
      file: { name: summary.file.name, sizeBytes: summary.file.sizeBytes, rows: summary.file.rows },
      selection: { ...selection, features: plan.features },
      options: { ...kernelOptions, outlierThreshold: threshold },
      backend: outcome.backend.name,
      adapter: outcome.backend.adapter,
      fallback: outcome.fallback ?? fallback,
      groups: outcome.groups,
      skipped: plan.skipped,
      timings: {
        summaryMs: round(summaryMs),
        decodeMs: round(outcome.decodeMs),
        kernelMs: round(outcome.kernelMs),
        totalMs: round(now() - started)
      },
      io: { bytesRead: io.bytesRead + outcome.io.bytesRead, requests: io.requests + outcome.io.requests },
      memory: { ...outcome.memory, budgetBytes: budget, tensorBytes },
      tensorSource: outcome.tensorSource,
      ...(warnings.length ? { warnings } : {})
    };
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
