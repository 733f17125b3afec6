/**
 * The result of an analysis and what is reported while it runs: plain typed objects, the guard
 * for a cached entry, and the JSON form.
 */
import { PHASES, type BackendName } from '../kernels/types';
import type { ISelection } from '../kernels/cycle-tensor';
import type {
  ICorrelations,
  ICycleTensor,
  IKernelOptions,
  IOutliers,
  IPatterns,
  IPerCycleFeatures,
  ISummaryStatistics,
  IValidation
} from '../kernels/types';
import type { TensorStore } from '../store/tensor-store';

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
   * Milliseconds from the group's first cycles reaching the coordinator to its result: how long it
   * was in flight (groups overlap on the worker pool).
   */
  elapsedMs?: number;
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
  /** What the user should know about the numbers (e.g. a file analysed although not phase-indexed). */
  warnings?: string[];
}

/** The result without the group tensors (the form kept in a results cache). */
export function withoutTensors(result: IAnalysisResult): IAnalysisResult {
  return { ...result, groups: result.groups.map(({ tensor, ...group }) => group) };
}

/** The most a result may claim: larger counts are refused, not believed (a cached entry may be damaged). */
export const RESULT_LIMITS = { groups: 100_000, cycles: 10_000_000, features: 2048, subjects: 100_000 } as const;

/**
 * Whether a value has the shape of an analysis result (a cached entry may be damaged): every
 * count within RESULT_LIMITS and every array as long as its counts say. Reads lengths only: it
 * allocates nothing the size of a claim.
 */
export function isAnalysisResult(value: unknown): value is IAnalysisResult {
  return analysisResultProblem(value) === null;
}

/** What is wrong with a value taken for an analysis result, or null when it has the shape. */
export function analysisResultProblem(value: unknown): string | null {
  const result = value as IAnalysisResult | null;
  if (!result || typeof result !== 'object' || result.schemaVersion !== 1) {
    return 'not an analysis result of schema version 1';
  }
  if (!Array.isArray(result.groups) || result.groups.length > RESULT_LIMITS.groups) {
    return 'groups is not a list of at most 100,000 groups';
  }
  if (typeof result.timings?.totalMs !== 'number' || typeof result.memory?.mode !== 'string') {
    return 'timings or memory missing';
  }
  for (let g = 0; g < result.groups.length; g++) {
    const problem = groupProblem(result.groups[g]);
    if (problem) {
      return `group ${g}: ${problem}`;
    }
  }
  return null;
}

function groupProblem(group: IGroupAnalysis): string | null {
  if (!group || typeof group !== 'object') {
    return 'not an object';
  }
  const C = group.cycles;
  if (!Number.isSafeInteger(C) || C < 0 || C > RESULT_LIMITS.cycles) {
    return `cycles ${String(C).slice(0, 40)} is not a count of at most ${RESULT_LIMITS.cycles}`;
  }
  if (
    !Array.isArray(group.features) ||
    group.features.length > RESULT_LIMITS.features ||
    !group.features.every(f => typeof f === 'string')
  ) {
    return `features is not a list of at most ${RESULT_LIMITS.features} names`;
  }
  if (!Array.isArray(group.subjects) || group.subjects.length > RESULT_LIMITS.subjects) {
    return `subjects is not a list of at most ${RESULT_LIMITS.subjects} names`;
  }
  const F = group.features.length;
  const typed = (array: unknown, length: number, name: string) =>
    ArrayBuffer.isView(array) && !(array instanceof DataView) && (array as Float64Array).length === length
      ? null
      : `${name} is not a typed array of ${length} values (${F} features, ${C} cycles)`;
  const lists = (array: unknown, length: number, name: string) =>
    Array.isArray(array) && array.length === length ? null : `${name} is not a list of ${length} entries (${C} cycles)`;
  const perCycle = group.perCycle as unknown as Record<string, unknown> | undefined;
  const patterns = group.patterns as unknown as Record<string, unknown> | undefined;
  const summary = group.summary as unknown as Record<string, unknown> | undefined;
  if (!perCycle || !patterns || !summary || !group.outliers || !group.validation || !group.correlations) {
    return 'a part is missing';
  }
  const checks = [
    ...Object.keys(perCycle).map(key => () => typed(perCycle[key], F * C, `perCycle.${key}`)),
    () => typed(perCycle.mean, F * C, 'perCycle.mean'),
    ...['mean', 'std', 'count'].map(key => () => typed(patterns[key], F * PHASES, `patterns.${key}`)),
    () => typed(group.romOverall, F, 'romOverall'),
    ...Object.keys(summary).map(key => () => typed(summary[key], F, `summary.${key}`)),
    () => typed(group.outliers.rmse, C, 'outliers.rmse'),
    () => lists(group.cycleSubjects, C, 'cycleSubjects'),
    () => lists(group.cycleIndex, C, 'cycleIndex'),
    () => typed(group.validation.valid, C, 'validation.valid'),
    () => typed(group.validation.reasons, C, 'validation.reasons'),
    () => typed(group.correlations.features, F * F, 'correlations.features'),
    () =>
      group.correlations.phases === null || group.correlations.phases === undefined
        ? null
        : typed(group.correlations.phases, PHASES * F * F, 'correlations.phases'),
    () =>
      Array.isArray(group.outliers.cycles) &&
      group.outliers.cycles.length <= C &&
      group.outliers.cycles.every(c => Number.isInteger(c) && c >= 0 && c < C)
        ? null
        : `outliers.cycles is not a list of cycle numbers below ${C}`
  ];
  for (const check of checks) {
    const problem = check();
    if (problem) {
      return problem;
    }
  }
  return null;
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
    warnings: result.warnings ?? [],
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
            (Object.keys(group.perCycle) as Array<keyof IPerCycleFeatures>).map(key => [
              key,
              list(group.perCycle[key].subarray(f * C, (f + 1) * C))
            ])
          )
        ),
        patterns: byFeature(f => ({
          mean: list(group.patterns.mean.subarray(f * 150, (f + 1) * 150)),
          std: list(group.patterns.std.subarray(f * 150, (f + 1) * 150))
        })),
        rom: byFeature(f => ({ overall: list([group.romOverall[f]])[0], byCycle: list(group.perCycle.rom.subarray(f * C, (f + 1) * C)) })),
        summary: byFeature(f =>
          Object.fromEntries(
            (Object.keys(group.summary) as Array<keyof ISummaryStatistics>).map(key => [key, list([group.summary[key][f]])[0]])
          )
        ),
        outliers: {
          threshold: group.outliers.threshold,
          cut: list([group.outliers.cut])[0],
          cycles: group.outliers.cycles,
          rmse: list(group.outliers.rmse)
        },
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

/** Samples missing (NaN) in a group's cycles: counted from the pattern moments' per-phase counts. */
export function missingSamples(group: IGroupAnalysis): { missing: number; total: number } {
  const total = group.features.length * PHASES * group.cycles;
  let present = 0;
  for (let i = 0; i < group.patterns.count.length; i++) {
    present += group.patterns.count[i];
  }
  return { missing: Math.max(0, total - present), total };
}
