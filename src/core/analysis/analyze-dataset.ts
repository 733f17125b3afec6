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
import { CycleTensorBuilder, planCycles, rowGroupsOf, type ICycleGroup, type ISelection } from '../kernels/cycle-tensor';
import { transfer } from 'comlink';

import { ALL_PARTS, groupStatistics, type IGroupStatistics, type StatisticsPart } from '../kernels/group-statistics';
import { resetGpuKernels } from '../kernels/webgpu/gpu-device';
import { GpuKernelError } from '../kernels/webgpu/gpu-kernels';
import { finalizePatterns, outliersFromRmse } from '../kernels/reference';
import {
  DEFAULT_KERNEL_OPTIONS,
  type ICorrelations,
  type ICycleTensor,
  type IKernelOptions,
  type IOutliers,
  type IPatterns,
  type IPerCycleFeatures,
  type ISummaryStatistics,
  type IValidation
} from '../kernels/types';

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
   * The cycles themselves (`[feature][cycle][phase]`), for drawing every cycle. Not part of the
   * JSON form.
   */
  tensor: ICycleTensor;
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
}

/**
 * Analyse the selected cycles of a file.
 *
 * @throws LocolensError for unknown subjects, tasks or features, or a file that cannot be read.
 */
export async function analyzeDataset(
  pool: WorkerPool,
  spec: SourceSpec,
  selection: ISelection = {},
  options: IAnalyzeOptions = {}
): Promise<IAnalysisResult> {
  const started = now();
  const kernelOptions: IKernelOptions = { ddof: options.ddof ?? DEFAULT_KERNEL_OPTIONS.ddof, nan: options.nan ?? DEFAULT_KERNEL_OPTIONS.nan };
  const threshold = options.outlierThreshold ?? 2;
  const summary = options.summary ?? (await inspectDataset(pool, spec));
  if (!summary.keyColumns.subject || !summary.keyColumns.task) {
    throw new LocolensError('missing-columns', `${summary.file.name}: subject and task columns are needed to find cycles`);
  }
  const io = { bytesRead: options.summary ? 0 : summary.io.bytesRead, requests: options.summary ? 0 : summary.io.requests };
  const summaryMs = now() - started;
  const plan = planCycles(summary, selection);

  // Decode the needed row groups once, on all workers, and copy them into each group's tensor.
  const decodeStarted = now();
  const builders = plan.groups.map(group => new CycleTensorBuilder(group, plan.features));
  const needed = [...new Set(plan.groups.flatMap(group => rowGroupsOf(group, summary.file.rowGroupRows)))].sort((a, b) => a - b);
  await Promise.all(
    needed.map(async rowGroup => {
      const batch = await pool.run(api => api.readColumns(spec, rowGroup, plan.features));
      io.bytesRead += batch.io.bytesRead;
      io.requests += batch.io.requests;
      for (const builder of builders) {
        builder.add(batch.value);
      }
    })
  );
  if (!builders.every(builder => builder.complete)) {
    throw new LocolensError('corrupt-parquet', `${summary.file.name}: the file has fewer rows than its footer says`);
  }
  const decodeMs = now() - decodeStarted;

  const kernelStarted = now();
  const selected = await selectBackend(options.backend ?? 'auto', pool);
  let backend = selected.backend;
  let fallback = selected.fallback;
  const groups: IGroupAnalysis[] = [];
  const offload = options.offload ?? backend.name === 'workers';
  for (let g = 0; g < plan.groups.length; g++) {
    const run = () =>
      analyzeGroup(plan.groups[g], builders[g].tensor, backend, kernelOptions, threshold, options.phaseCorrelations ?? true, offload ? pool : null);
    try {
      groups.push(await run());
    } catch (error) {
      if (!(error instanceof GpuKernelError)) {
        throw error;
      }
      // A lost device or a shader error: no partial GPU result is kept; the CPU redoes the
      // group and every later one, and the result says so.
      resetGpuKernels();
      backend = (await cpuFallback(offload ? pool : null)).backend;
      fallback = `WebGPU failed (${error.message}); ${backend.name} computed the results`;
      groups.length = 0;
      g = -1;
    }
  }
  const kernelMs = now() - kernelStarted;
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
    io
  };
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
