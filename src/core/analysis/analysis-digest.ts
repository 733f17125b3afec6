/**
 * A small JSON digest of an analysis: enough to compare runs (CLI, browser, benchmarks) without
 * shipping every per-cycle number: counts, outliers, checksums of the patterns and per-cycle
 * means, and the run's provenance (backend, timings, bytes, memory mode, cache).
 */
import type { IAnalysisResult } from './analyze-dataset';

/** The digest of one analysis. */
export interface IAnalysisDigest {
  groups: number;
  cycles: number;
  outliers: number;
  invalid: number;
  /** Σ over groups of the mean pattern (NaN left out), and of the per-cycle means. */
  patternSum: number;
  perCycleMeanSum: number;
  /** Σ over groups of the feature correlation matrix (NaN left out). */
  correlationSum: number;
  backend: string;
  timings: IAnalysisResult['timings'];
  io: IAnalysisResult['io'];
  memory: IAnalysisResult['memory'];
  tensorSource: IAnalysisResult['tensorSource'];
  cached: boolean;
}

function finiteSum(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      sum += values[i];
    }
  }
  return sum;
}

/** The digest of `result`. */
export function analysisDigest(result: IAnalysisResult): IAnalysisDigest {
  let cycles = 0;
  let outliers = 0;
  let invalid = 0;
  let patternSum = 0;
  let perCycleMeanSum = 0;
  let correlationSum = 0;
  for (const group of result.groups) {
    cycles += group.cycles;
    outliers += group.outliers.cycles.length;
    invalid += group.cycles - group.validation.valid.reduce((sum, v) => sum + v, 0);
    patternSum += finiteSum(group.patterns.mean);
    perCycleMeanSum += finiteSum(group.perCycle.mean);
    correlationSum += finiteSum(group.correlations.features);
  }
  return {
    groups: result.groups.length,
    cycles,
    outliers,
    invalid,
    patternSum,
    perCycleMeanSum,
    correlationSum,
    backend: result.backend,
    timings: result.timings,
    io: result.io,
    memory: result.memory,
    tensorSource: result.tensorSource,
    cached: !!result.cached
  };
}
