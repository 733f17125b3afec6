/**
 * Population statistics of a task, with the seed guide's definitions (`task_population_analysis`
 * and `expensive_population_analysis`; LocoHub tutorial 05, group analysis), computed from
 * analysis results (no samples needed):
 *
 * - across subjects: each subject's mean pattern; at each phase the population mean and SD over
 *   those subject means (subjects weighted equally, SD with the analysis' ddof); per feature the
 *   mean and maximum of that SD and the coefficient of variation (mean SD ÷ mean of the population
 *   mean); `mean_variability`, the mean of the SD over every phase and feature;
 * - over the task's cycles, per feature: the mean and SD of the per-cycle means, the mean of the
 *   per-cycle SDs, and the ROM distribution (mean, SD, percentiles 5, 25, 50, 75 and 95, numpy's
 *   linear interpolation).
 *
 * NaN follows the analysis' policy: 'propagate' as numpy's plain functions, 'ignore' as the nan*
 * functions (over the values present).
 */
import { quantileSorted } from '../kernels/reference';
import { PHASES, type IKernelOptions } from '../kernels/types';
import type { IGroupAnalysis } from './result';

/** The percentiles of the ROM distribution. */
export const ROM_PERCENTILES = [5, 25, 50, 75, 95] as const;

/** A task's population statistics across its subjects and over its cycles. */
export interface IPopulationStatistics {
  task: string;
  features: string[];
  /** Subjects with cycles of the task, in the order of `subjectMeans`. */
  subjects: string[];
  /** Each subject's mean pattern, `[subject][feature][phase]`. */
  subjectMeans: Float64Array;
  /** Population mean and SD over the subject means, `[feature][phase]`. */
  mean: Float64Array;
  std: Float64Array;
  /** Per feature: mean and maximum of the population SD over phases, and mean SD ÷ mean of the mean. */
  meanStd: Float64Array;
  maxStd: Float64Array;
  coefficientOfVariation: Float64Array;
  /** The mean of the population SD over every phase and feature. */
  meanVariability: number;
  /** Over the task's cycles, per feature. */
  cycles: number;
  meanOfMeans: Float64Array;
  stdOfMeans: Float64Array;
  meanOfStds: Float64Array;
  romMean: Float64Array;
  romStd: Float64Array;
  /** `[feature][percentile]` for ROM_PERCENTILES. */
  romPercentiles: Float64Array;
}

/**
 * The population statistics of a task.
 *
 * @param subjectGroups - the task's subject × task groups (one per subject), for the subject means.
 * @param taskGroup - the task's group of all its cycles (all subjects), for the cycle statistics.
 */
export function populationStatistics(
  subjectGroups: IGroupAnalysis[],
  taskGroup: IGroupAnalysis,
  options: IKernelOptions
): IPopulationStatistics {
  const features = taskGroup.features;
  const F = features.length;
  const groups = subjectGroups.filter(group => group.task === taskGroup.task && group.cycles > 0);
  const S = groups.length;
  const subjectMeans = new Float64Array(S * F * PHASES);
  groups.forEach((group, s) => {
    features.forEach((name, f) => {
      const g = group.features.indexOf(name);
      for (let p = 0; p < PHASES; p++) {
        subjectMeans[(s * F + f) * PHASES + p] = g < 0 ? NaN : group.patterns.mean[g * PHASES + p];
      }
    });
  });
  const mean = new Float64Array(F * PHASES);
  const std = new Float64Array(F * PHASES);
  const column = new Float64Array(S);
  for (let i = 0; i < F * PHASES; i++) {
    for (let s = 0; s < S; s++) {
      column[s] = subjectMeans[s * F * PHASES + i];
    }
    mean[i] = meanOf(column, options);
    std[i] = stdOf(column, options);
  }
  const meanStd = new Float64Array(F);
  const maxStd = new Float64Array(F);
  const coefficientOfVariation = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    const sd = std.subarray(f * PHASES, (f + 1) * PHASES);
    meanStd[f] = meanOf(sd, options);
    maxStd[f] = maxOf(sd, options);
    coefficientOfVariation[f] = meanStd[f] / meanOf(mean.subarray(f * PHASES, (f + 1) * PHASES), options);
  }
  const C = taskGroup.cycles;
  const perFeature = (array: Float64Array, f: number) => array.subarray(f * C, (f + 1) * C);
  const romPercentiles = new Float64Array(F * ROM_PERCENTILES.length);
  for (let f = 0; f < F; f++) {
    const rom = perFeature(taskGroup.perCycle.rom, f);
    const hasNan = rom.some(v => v !== v);
    const sorted = rom.filter(v => v === v).sort();
    ROM_PERCENTILES.forEach((q, k) => {
      romPercentiles[f * ROM_PERCENTILES.length + k] =
        (hasNan && options.nan === 'propagate') || sorted.length === 0 ? NaN : quantileSorted(sorted, q / 100);
    });
  }
  const byFeature = (compute: (f: number) => number) => Float64Array.from({ length: F }, (_, f) => compute(f));
  return {
    task: taskGroup.task,
    features,
    subjects: groups.map(group => group.subjects.join(', ')),
    subjectMeans,
    mean,
    std,
    meanStd,
    maxStd,
    coefficientOfVariation,
    meanVariability: meanOf(std, options),
    cycles: C,
    meanOfMeans: byFeature(f => meanOf(perFeature(taskGroup.perCycle.mean, f), options)),
    stdOfMeans: byFeature(f => stdOf(perFeature(taskGroup.perCycle.mean, f), options)),
    meanOfStds: byFeature(f => meanOf(perFeature(taskGroup.perCycle.std, f), options)),
    romMean: byFeature(f => meanOf(perFeature(taskGroup.perCycle.rom, f), options)),
    romStd: byFeature(f => stdOf(perFeature(taskGroup.perCycle.rom, f), options)),
    romPercentiles
  };
}

/** The values the policy counts: all (NaN poisons) or those present. */
function counted(values: ArrayLike<number>, options: IKernelOptions): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) {
      if (options.nan === 'propagate') {
        return null;
      }
      continue;
    }
    out.push(v);
  }
  return out;
}

function meanOf(values: ArrayLike<number>, options: IKernelOptions): number {
  const present = counted(values, options);
  if (!present || present.length === 0) {
    return NaN;
  }
  let sum = 0;
  for (const v of present) {
    sum += v;
  }
  return sum / present.length;
}

function stdOf(values: ArrayLike<number>, options: IKernelOptions): number {
  const present = counted(values, options);
  if (!present || present.length - options.ddof <= 0) {
    return NaN;
  }
  let sum = 0;
  for (const v of present) {
    sum += v;
  }
  const mean = sum / present.length;
  let ss = 0;
  for (const v of present) {
    ss += (v - mean) * (v - mean);
  }
  return Math.sqrt(ss / (present.length - options.ddof));
}

function maxOf(values: ArrayLike<number>, options: IKernelOptions): number {
  const present = counted(values, options);
  return !present || present.length === 0 ? NaN : Math.max(...present);
}
