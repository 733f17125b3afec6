/**
 * Cross-dataset comparison of one task (LocoHub's "dataset comparison gallery": pick a task, see
 * every dataset's mean ± SD patterns, and how far apart they are), from each dataset's analysis
 * result of that task: no samples needed.
 *
 * - **Dataset pattern**: the mean and SD over every cycle of the task in the dataset (all its
 *   subjects pooled, each cycle weighted once). The groups of the result (one per subject × task,
 *   or one per task) are pooled exactly from their pattern moments: count, mean and
 *   M2 = SD² · (count − ddof) per (feature, phase), merged with Chan's update
 *   (`mergePatternPartials`, the merge the engine uses for its partials) in group order, and
 *   finished as the engine finishes a group (`finalizePatterns`). The SD uses the analysis' ddof.
 * - **Differences** per feature present in every dataset, each dataset against the first (the
 *   reference), over the 150 phase samples of the two mean patterns: mean difference
 *   = mean(other − reference), RMSE = sqrt(mean((other − reference)²)), and Pearson's r between
 *   the two mean patterns (NaN when either is constant).
 * - **Coverage**: the variables that some datasets have and others lack, with the standard name a
 *   non-standard name likely means (`suggestStandardName`) and which datasets have that name.
 * - **Counts**: subjects, cycles and the task's blocks left out (not a multiple of 150 rows).
 *
 * NaN follows the analyses' policy (every dataset must use the same ddof and NaN policy):
 * 'propagate' (LocoHub Python) — a (feature, phase) with a missing sample in any cycle is NaN in
 * the dataset pattern, and a NaN phase makes that feature's differences NaN; 'ignore' (LocoHub
 * R) — patterns over the samples present, differences over the phases present in both patterns.
 */
import { LocolensError } from '../errors';
import { finalizePatterns, mergePatternPartials } from '../kernels/reference';
import { PHASES, type IKernelOptions, type IPatternPartial } from '../kernels/types';
import { parseVariableName, suggestStandardName } from '../dataset/variable-names';
import type { IDatasetSummary } from '../dataset/dataset-summary';
import type { ISelection } from '../kernels/cycle-tensor';
import type { IAnalysisResult, IGroupAnalysis } from './result';

/** One dataset to compare: its analysis of the task, and every variable of its file. */
export interface IComparedDataset {
  /** How the dataset is named in the comparison (its path). */
  name: string;
  /** An analysis of the task (all its subjects; grouped by subject × task or by task). */
  result: IAnalysisResult;
  /** Every variable column of the file, for the coverage (default: the analysed features). */
  variables?: string[];
}

/** A dataset's pattern of the task: mean and SD over all its cycles, `[feature][phase]`. */
export interface IDatasetPattern {
  name: string;
  task: string;
  features: string[];
  /** Subjects with cycles of the task, in file order. */
  subjects: string[];
  cycles: number;
  /** Blocks of the task left out of the analysis (rows not a multiple of 150). */
  skipped: Array<{ subject: string; rows: number; reason: string }>;
  mean: Float64Array;
  std: Float64Array;
  /** Cycles with a value at each (feature, phase). */
  count: Float64Array;
  /** How the analysis ran: its backend, where its cycles came from, whether it was a cached result. */
  analysis: { backend: string; tensorSource: IAnalysisResult['tensorSource']; cached: boolean; totalMs: number };
}

/** The differences of one feature's mean pattern from the reference's, per other dataset. */
export interface IFeatureDifference {
  feature: string;
  /** Index d − 1 compares dataset d with the reference (dataset 0). */
  meanDifference: number[];
  rmse: number[];
  correlation: number[];
}

/** A variable that some datasets have and others lack. */
export interface ICoverageRow {
  variable: string;
  /** Per dataset, whether its file has the variable. */
  present: boolean[];
  /** Whether the name follows the standard. */
  standard: boolean;
  /** For a non-standard name: the standard name it likely means, and which datasets have that. */
  suggestion: { name: string; needsConversion: boolean; presentIn: boolean[] } | null;
}

/** The comparison of a task across datasets. */
export interface IDatasetComparison {
  task: string;
  /** The analyses' SD degrees of freedom and NaN policy. */
  options: IKernelOptions;
  /** The reference of the differences: dataset 0. */
  reference: string;
  datasets: IDatasetPattern[];
  /** Features compared: analysed in every dataset, in the reference's order. */
  features: string[];
  differences: IFeatureDifference[];
  /** Variables not present in every dataset, sorted by name. */
  coverage: ICoverageRow[];
}

/** The groups of a result that hold cycles of `task`. */
function groupsOfTask(result: IAnalysisResult, task: string): IGroupAnalysis[] {
  return result.groups.filter(group => group.task === task && group.cycles > 0);
}

/**
 * A group's pattern moments back from its mean, SD and count: M2 = SD² · (count − ddof), 0 for a
 * single cycle. Under 'propagate' a cell with fewer values than cycles met a NaN (its mean and SD
 * are NaN): it is flagged, and stays NaN after any merge.
 */
export function groupPatternPartial(group: IGroupAnalysis, options: IKernelOptions): IPatternPartial {
  const F = group.features.length;
  const size = F * PHASES;
  const partial: IPatternPartial = {
    features: F,
    count: new Float64Array(size),
    mean: new Float64Array(size),
    m2: new Float64Array(size),
    nan: new Uint8Array(size)
  };
  for (let i = 0; i < size; i++) {
    const n = group.patterns.count[i];
    const mean = group.patterns.mean[i];
    const sd = group.patterns.std[i];
    partial.count[i] = n;
    partial.nan[i] = n < group.cycles ? 1 : 0;
    if (n === 0 || mean !== mean) {
      // No value, or poisoned under 'propagate': the flag (or the zero count) decides.
      continue;
    }
    partial.mean[i] = mean;
    partial.m2[i] = n - options.ddof > 0 ? sd * sd * (n - options.ddof) : 0;
  }
  return partial;
}

/**
 * The pattern of a task over every cycle of a dataset: its groups' moments pooled exactly.
 *
 * @throws LocolensError `bad-argument` when the result has no cycles of the task.
 */
export function datasetPattern(dataset: IComparedDataset, task: string): IDatasetPattern {
  const { result } = dataset;
  const groups = groupsOfTask(result, task);
  if (!groups.length) {
    const tasks = [...new Set(result.groups.map(group => group.task))];
    throw new LocolensError('bad-argument', `${dataset.name}: no cycles of task ${JSON.stringify(task)} (tasks: ${tasks.join(', ')})`);
  }
  const features = groups[0].features;
  for (const group of groups) {
    if (group.features.join('\n') !== features.join('\n')) {
      throw new LocolensError('bad-argument', `${dataset.name}: the groups of ${task} were analysed with different variables`);
    }
  }
  const options = { ddof: result.options.ddof, nan: result.options.nan };
  const patterns = finalizePatterns(mergePatternPartials(groups.map(group => groupPatternPartial(group, options))), options);
  const subjects: string[] = [];
  for (const group of groups) {
    for (const subject of group.subjects) {
      if (!subjects.includes(subject)) {
        subjects.push(subject);
      }
    }
  }
  return {
    name: dataset.name,
    task,
    features,
    subjects,
    cycles: groups.reduce((sum, group) => sum + group.cycles, 0),
    skipped: result.skipped
      .filter(block => block.task === task)
      .map(block => ({ subject: block.subject, rows: block.rows, reason: block.reason })),
    mean: patterns.mean,
    std: patterns.std,
    count: patterns.count,
    analysis: { backend: result.backend, tensorSource: result.tensorSource, cached: !!result.cached, totalMs: result.timings.totalMs }
  };
}

/**
 * Mean difference (other − reference), RMSE and Pearson's r of two mean patterns (150 samples
 * each), under the NaN policy: 'propagate' gives NaN when a sample of either is NaN; 'ignore'
 * uses the phases where both have a value.
 */
export function patternDifference(
  reference: ArrayLike<number>,
  other: ArrayLike<number>,
  nan: IKernelOptions['nan']
): { meanDifference: number; rmse: number; correlation: number } {
  const none = { meanDifference: NaN, rmse: NaN, correlation: NaN };
  const x: number[] = [];
  const y: number[] = [];
  for (let p = 0; p < reference.length; p++) {
    const a = reference[p];
    const b = other[p];
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (nan === 'propagate') {
        return none;
      }
      continue;
    }
    x.push(a);
    y.push(b);
  }
  const n = x.length;
  if (n === 0) {
    return none;
  }
  let sumDiff = 0;
  let sumSquares = 0;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i] - x[i];
    sumDiff += d;
    sumSquares += d * d;
    meanX += x[i];
    meanY += y[i];
  }
  meanX /= n;
  meanY /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const correlation = n > 1 && sxx > 0 && syy > 0 ? Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy))) : NaN;
  return { meanDifference: sumDiff / n, rmse: Math.sqrt(sumSquares / n), correlation };
}

/**
 * The variables that some datasets have and others lack, each with the standard name a
 * non-standard one likely means and which datasets have that name.
 */
export function variableCoverage(variables: string[][]): ICoverageRow[] {
  const sets = variables.map(names => new Set(names));
  const all = [...new Set(variables.flat())].sort();
  return all
    .filter(name => !sets.every(set => set.has(name)))
    .map(name => {
      const standard = parseVariableName(name).ok;
      const suggested = standard ? null : suggestStandardName(name);
      return {
        variable: name,
        present: sets.map(set => set.has(name)),
        standard,
        suggestion: suggested ? { ...suggested, presentIn: sets.map(set => set.has(suggested.name)) } : null
      };
    });
}

/**
 * Compare a task across datasets: each dataset's pattern, the differences of each dataset's mean
 * patterns from the first's (the reference), coverage and counts.
 *
 * @param features - the features to compare (default: those analysed in every dataset).
 * @throws LocolensError `bad-argument` for fewer than two datasets, a dataset without cycles of
 *   the task, or analyses with different ddof or NaN policies.
 */
export function compareDatasets(datasets: IComparedDataset[], task: string, features?: string[]): IDatasetComparison {
  if (datasets.length < 2) {
    throw new LocolensError('bad-argument', 'a comparison needs at least two datasets');
  }
  const options: IKernelOptions = { ddof: datasets[0].result.options.ddof, nan: datasets[0].result.options.nan };
  for (const dataset of datasets) {
    if (dataset.result.options.ddof !== options.ddof || dataset.result.options.nan !== options.nan) {
      throw new LocolensError('bad-argument', `${dataset.name}: analysed with other options (ddof, NaN policy) than ${datasets[0].name}`);
    }
  }
  const patterns = datasets.map(dataset => datasetPattern(dataset, task));
  const [reference, ...others] = patterns;
  const common = reference.features.filter(name => others.every(pattern => pattern.features.includes(name)));
  const compared = features?.length ? common.filter(name => features.includes(name)) : common;
  const slice = (pattern: IDatasetPattern, name: string) => {
    const f = pattern.features.indexOf(name);
    return pattern.mean.subarray(f * PHASES, (f + 1) * PHASES);
  };
  const differences = compared.map(name => {
    const base = slice(reference, name);
    const each = others.map(pattern => patternDifference(base, slice(pattern, name), options.nan));
    return {
      feature: name,
      meanDifference: each.map(d => d.meanDifference),
      rmse: each.map(d => d.rmse),
      correlation: each.map(d => d.correlation)
    };
  });
  return {
    task,
    options,
    reference: reference.name,
    datasets: patterns,
    features: compared,
    differences,
    coverage: variableCoverage(datasets.map((dataset, d) => dataset.variables ?? patterns[d].features))
  };
}

/** The comparison as plain JSON (NaN as null), for the CLI's --json. */
export function comparisonToJSON(comparison: IDatasetComparison): unknown {
  const value = (v: number) => (Number.isFinite(v) ? v : null);
  const list = (array: ArrayLike<number>) => Array.from(array, value);
  const others = comparison.datasets.slice(1).map(pattern => pattern.name);
  return {
    task: comparison.task,
    options: comparison.options,
    reference: comparison.reference,
    definitions: {
      pattern: 'mean and SD over every cycle of the task in the dataset (its subject x task groups pooled exactly), SD with options.ddof',
      meanDifference: 'mean over the 150 phase samples of (dataset mean pattern - reference mean pattern)',
      rmse: 'sqrt of the mean over the 150 phase samples of (dataset mean pattern - reference mean pattern)^2',
      correlation: 'Pearson r between the two mean patterns over the 150 phase samples',
      nan:
        comparison.options.nan === 'propagate'
          ? 'propagate: a missing sample makes its pattern sample NaN, and a NaN pattern sample makes the differences null'
          : 'ignore: patterns over the samples present, differences over the phases present in both patterns'
    },
    datasets: comparison.datasets.map(pattern => ({
      name: pattern.name,
      subjects: pattern.subjects,
      subjectCount: pattern.subjects.length,
      cycles: pattern.cycles,
      skipped: pattern.skipped,
      analysis: pattern.analysis,
      features: pattern.features,
      patterns: Object.fromEntries(
        pattern.features.map((name, f) => [
          name,
          {
            mean: list(pattern.mean.subarray(f * PHASES, (f + 1) * PHASES)),
            std: list(pattern.std.subarray(f * PHASES, (f + 1) * PHASES))
          }
        ])
      )
    })),
    features: comparison.features,
    differences: comparison.differences.map(difference => ({
      feature: difference.feature,
      against: others.map((name, k) => ({
        dataset: name,
        meanDifference: value(difference.meanDifference[k]),
        rmse: value(difference.rmse[k]),
        correlation: value(difference.correlation[k])
      }))
    })),
    coverage: comparison.coverage.map(row => ({
      variable: row.variable,
      standard: row.standard,
      presentIn: comparison.datasets.filter((_, d) => row.present[d]).map(pattern => pattern.name),
      missingFrom: comparison.datasets.filter((_, d) => !row.present[d]).map(pattern => pattern.name),
      suggestion: row.suggestion
        ? {
            name: row.suggestion.name,
            needsConversion: row.suggestion.needsConversion,
            presentIn: comparison.datasets.filter((_, d) => row.suggestion!.presentIn[d]).map(pattern => pattern.name)
          }
        : null
    }))
  };
}

/** Tasks present in every dataset (from their task lists), in the first's order. */
export function commonTasks(taskLists: string[][]): string[] {
  if (!taskLists.length) {
    return [];
  }
  return taskLists[0].filter(task => taskLists.every(list => list.includes(task)));
}

/** How a comparison reads its datasets: the CLI's analyzeDataset, or the browser's dataset service. */
export interface IComparisonAccess {
  inspect(path: string): Promise<IDatasetSummary>;
  /** An analysis of the selection (cached where the caller caches analyses). */
  analyze(path: string, selection: ISelection): Promise<IAnalysisResult>;
}

/**
 * Analyse a task in several datasets at once (the analyses share the worker pool, each cached as
 * any analysis) and compare them.
 *
 * @param features - the features to compare; each dataset analyses those it has (none of them in
 *   a dataset, or one in no dataset, is an error). Default: every standard variable of each.
 * @throws LocolensError `bad-argument` naming the file and its tasks when a file has no such task.
 */
export async function analyzeComparison(
  paths: string[],
  task: string,
  access: IComparisonAccess,
  features?: string[]
): Promise<IDatasetComparison> {
  if (paths.length < 2) {
    throw new LocolensError('bad-argument', 'a comparison needs at least two datasets');
  }
  const summaries = await Promise.all(paths.map(path => access.inspect(path)));
  summaries.forEach((summary, d) => {
    if (!summary.tasks.some(entry => entry.task === task)) {
      throw new LocolensError(
        'bad-argument',
        `${paths[d]}: no task ${JSON.stringify(task)} (tasks: ${summary.tasks.map(entry => entry.task).join(', ') || 'none'})`
      );
    }
  });
  const variables = summaries.map(summary => summary.variables.map(variable => variable.name));
  const requested = features?.length ? features : undefined;
  if (requested) {
    const nowhere = requested.filter(name => !variables.some(names => names.includes(name)));
    if (nowhere.length) {
      throw new LocolensError('missing-columns', `no dataset has ${nowhere.map(name => JSON.stringify(name)).join(', ')}`);
    }
    variables.forEach((names, d) => {
      if (!requested.some(name => names.includes(name))) {
        throw new LocolensError('missing-columns', `${paths[d]}: none of the features ${requested.join(', ')}`);
      }
    });
  }
  const results = await Promise.all(
    paths.map((path, d) =>
      access.analyze(path, {
        task,
        groupBy: 'subject-task',
        ...(requested ? { features: requested.filter(name => variables[d].includes(name)) } : {})
      })
    )
  );
  return compareDatasets(
    paths.map((path, d) => ({ name: path, result: results[d], variables: variables[d] })),
    task,
    requested
  );
}
