/**
 * The tables of one analysed group, as the analysis view exports them, the notebook's
 * `locolens.analyze()` receives them and the CLI's `--tables` writes them: per-cycle features,
 * patterns, correlations and summary statistics, with one set of names and units
 * (docs/notebook-protocol.md).
 */
import { PHASES } from '../kernels/types';
import type { TableColumns } from '../io/arrow-tables';
import { LOCOLENS_VERSION } from '../version';
import { ROM_PERCENTILES, type IPopulationStatistics } from './population';
import type { IAnalysisResult, IGroupAnalysis } from './result';

export { arrowIPC, type TableColumns } from '../io/arrow-tables';

/** The four tables of a group, in the order the notebook protocol sends them. */
export const RESULT_TABLES = ['features', 'patterns', 'correlations', 'summary'] as const;
export type ResultTableName = (typeof RESULT_TABLES)[number];

const SUMMARY_KEYS = ['mean', 'std', 'min', 'max', 'median', 'q25', 'q75'] as const;

/**
 * The per-cycle table: subject, task, cycle, per feature mean, SD, min, max, ROM, peak timing,
 * skewness, kurtosis, dominant frequency (and as a harmonic), RMSE, outlier, valid.
 */
export function perCycleColumns(group: IGroupAnalysis): TableColumns {
  const C = group.cycles;
  const columns: TableColumns = {
    subject: group.cycleSubjects.slice(),
    task: Array.from({ length: C }, () => group.task),
    cycle: Int32Array.from(group.cycleIndex)
  };
  group.features.forEach((name, f) => {
    for (const [key, suffix] of [
      ['mean', 'mean'],
      ['std', 'std'],
      ['min', 'min'],
      ['max', 'max'],
      ['rom', 'rom'],
      ['peakTiming', 'peak_timing'],
      ['skewness', 'skewness'],
      ['kurtosis', 'kurtosis'],
      ['dominantFrequency', 'dominant_frequency']
    ] as const) {
      columns[`${name}__${suffix}`] = group.perCycle[key].slice(f * C, (f + 1) * C);
    }
    // The dominant frequency as the harmonic of the gait cycle (cycles per cycle).
    columns[`${name}__dominant_harmonic`] = Float64Array.from(
      group.perCycle.dominantFrequency.subarray(f * C, (f + 1) * C),
      v => v * PHASES
    );
  });
  columns.rmse = group.outliers.rmse.slice();
  const outliers = new Set(group.outliers.cycles);
  columns.outlier = Array.from({ length: C }, (_, c) => outliers.has(c));
  columns.valid = Array.from(group.validation.valid, v => v !== 0);
  return columns;
}

/** The patterns: feature, phase index, phase (% of the cycle), mean, SD, cycles counted. */
export function patternColumns(group: IGroupAnalysis): TableColumns {
  const F = group.features.length;
  return {
    feature: Array.from({ length: F * PHASES }, (_, i) => group.features[Math.floor(i / PHASES)]),
    phase_index: Int32Array.from({ length: F * PHASES }, (_, i) => i % PHASES),
    phase_ipsi: Float64Array.from({ length: F * PHASES }, (_, i) => ((i % PHASES) * 100) / PHASES),
    mean: group.patterns.mean.slice(),
    std: group.patterns.std.slice(),
    cycles: group.patterns.count.slice()
  };
}

/** The F × F Pearson correlations over all samples: a feature column and one column per feature. */
export function correlationColumns(group: IGroupAnalysis): TableColumns {
  const F = group.features.length;
  const matrix = group.correlations.features;
  const columns: TableColumns = { feature: group.features.slice() };
  group.features.forEach((name, b) => {
    columns[name] = Float64Array.from({ length: F }, (_, a) => matrix[a * F + b]);
  });
  return columns;
}

/** Summary statistics over all samples, one row per feature. */
export function summaryColumns(group: IGroupAnalysis): TableColumns {
  const columns: TableColumns = { feature: group.features.slice() };
  for (const key of SUMMARY_KEYS) {
    columns[key] = Float64Array.from(group.summary[key]);
  }
  return columns;
}

/** Every table of a group, by name. */
export function resultTables(group: IGroupAnalysis): Record<ResultTableName, TableColumns> {
  return {
    features: perCycleColumns(group),
    patterns: patternColumns(group),
    correlations: correlationColumns(group),
    summary: summaryColumns(group)
  };
}

/** What travels beside the tables (docs/notebook-protocol.md). */
export interface IResultMeta {
  task: string;
  subjects: string[];
  cycles: number;
  features: string[];
  threshold: number;
  cut: number | null;
  ddof: 0 | 1;
  nan: 'propagate' | 'ignore';
  backend: string;
  adapter: string | null;
  fallback: string | null;
  timings: Record<string, number>;
  file: { path: string; size: number };
  locolensVersion: string;
}

/** The meta record of a group of a result. */
export function resultMeta(result: IAnalysisResult, group: IGroupAnalysis, path: string): IResultMeta {
  return {
    task: group.task,
    subjects: group.subjects,
    cycles: group.cycles,
    features: group.features,
    threshold: group.outliers.threshold,
    cut: Number.isFinite(group.outliers.cut) ? group.outliers.cut : null,
    ddof: result.options.ddof,
    nan: result.options.nan,
    backend: result.backend,
    adapter: result.adapter ?? null,
    fallback: result.fallback ?? null,
    timings: { ...result.timings },
    file: { path, size: result.file.sizeBytes },
    locolensVersion: LOCOLENS_VERSION
  };
}

/** A task's population patterns: feature, phase, the mean and SD over subject means, and each subject's mean. */
export function populationPatternColumns(population: IPopulationStatistics): TableColumns {
  const F = population.features.length;
  const n = F * PHASES;
  const columns: TableColumns = {
    feature: Array.from({ length: n }, (_, i) => population.features[Math.floor(i / PHASES)]),
    phase_index: Int32Array.from({ length: n }, (_, i) => i % PHASES),
    phase_ipsi: Float64Array.from({ length: n }, (_, i) => ((i % PHASES) * 100) / PHASES),
    population_mean: population.mean.slice(),
    population_std: population.std.slice()
  };
  population.subjects.forEach((subject, s) => {
    columns[`mean__${subject}`] = population.subjectMeans.slice(s * n, (s + 1) * n);
  });
  return columns;
}

/** A task's population statistics per feature (the seed guide's names). */
export function populationSummaryColumns(population: IPopulationStatistics): TableColumns {
  const F = population.features.length;
  const columns: TableColumns = {
    feature: population.features.slice(),
    n_subjects: Int32Array.from({ length: F }, () => population.subjects.length),
    mean_std: population.meanStd.slice(),
    max_std: population.maxStd.slice(),
    coefficient_of_variation: population.coefficientOfVariation.slice(),
    n_cycles: Int32Array.from({ length: F }, () => population.cycles),
    mean_of_means: population.meanOfMeans.slice(),
    std_of_means: population.stdOfMeans.slice(),
    mean_variability: population.meanOfStds.slice(),
    rom_mean: population.romMean.slice(),
    rom_std: population.romStd.slice()
  };
  ROM_PERCENTILES.forEach((q, k) => {
    columns[`rom_p${q}`] = Float64Array.from({ length: F }, (_, f) => population.romPercentiles[f * ROM_PERCENTILES.length + k]);
  });
  return columns;
}
