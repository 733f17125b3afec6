/**
 * The results of one group of cycles built chunk by chunk (streamed analysis): per-cycle
 * features, pattern moments, validation and co-moments in a first pass; per-cycle RMSE against
 * the mean pattern and the exact quantiles of each feature in a second. Everything merges
 * exactly (Chan's updates in float64), so a streamed result equals the whole-tensor one to
 * rounding.
 */
import { correlationsOfMoments, emptyCoMoments, mergeCoMoments, type ICoMoments } from '../kernels/co-moments';
import type { ICycleGroup } from '../kernels/cycle-tensor';
import {
  emptyPerCycleFeatures,
  finalizePatterns,
  mergePatternPartials,
  outliersFromRmse,
  quartilesUnderPolicy
} from '../kernels/reference';
import {
  PHASES,
  type ICorrelations,
  type IKernelOptions,
  type IPatternPartial,
  type IPatterns,
  type IPerCycleFeatures,
  type ISummaryStatistics
} from '../kernels/types';
import type { IGroupAnalysis } from './result';
import type { IChunkStatistics } from '../kernels/group-statistics';

export type { IChunkStatistics } from '../kernels/group-statistics';

/** Accumulates one group's results over its chunks. */
export class GroupAccumulator {
  constructor(
    readonly group: ICycleGroup,
    readonly features: string[],
    readonly options: IKernelOptions,
    readonly withPhaseCorrelations: boolean
  ) {
    const F = features.length;
    const C = group.cycles;
    this.perCycle = emptyPerCycleFeatures(F * C);
    this.reasons = new Uint8Array(C);
    this.rmse = new Float64Array(C);
    this.medians = { median: new Float64Array(F).fill(NaN), q25: new Float64Array(F).fill(NaN), q75: new Float64Array(F).fill(NaN) };
  }

  readonly perCycle: IPerCycleFeatures;
  readonly reasons: Uint8Array;
  /** Co-moments while the first pass runs (allocated on its first chunk, dropped at its end). */
  private moments: ICoMoments | null = null;
  private correlations: ICorrelations | null = null;
  readonly rmse: Float64Array;
  private partial: IPatternPartial | null = null;
  private readonly medians: Pick<ISummaryStatistics, 'median' | 'q25' | 'q75'>;
  /** Cycles seen in the first pass. */
  cyclesDone = 0;

  /** When the group's first cycles arrived (its time runs from there to its result). */
  private startedAt: number | null = null;

  /** First pass: a chunk's per-cycle features and pattern moments, and its statistics. */
  addFirstPass(offset: number, n: number, perCycle: IPerCycleFeatures, partial: IPatternPartial, statistics: IChunkStatistics): void {
    this.addPerCycle(offset, n, perCycle, statistics.reasons);
    this.addMoments(partial, statistics.moments);
    if (this.cyclesDone === this.group.cycles) {
      this.finishMoments();
    }
  }

  /** A chunk's per-cycle features and validation flags, at cycle `offset` of the group. */
  addPerCycle(offset: number, n: number, perCycle: IPerCycleFeatures, reasons: Uint8Array): void {
    this.startedAt ??= now();
    const F = this.features.length;
    const C = this.group.cycles;
    for (const key of Object.keys(this.perCycle) as Array<keyof IPerCycleFeatures>) {
      for (let f = 0; f < F; f++) {
        this.perCycle[key].set(perCycle[key].subarray(f * n, (f + 1) * n), f * C + offset);
      }
    }
    this.reasons.set(reasons, offset);
    this.cyclesDone += n;
  }

  /** Pattern moments and co-moments of some cycles (merged exactly). */
  addMoments(partial: IPatternPartial, moments: ICoMoments): void {
    const F = this.features.length;
    this.partial = this.partial ? mergePatternPartials([this.partial, partial]) : partial;
    if (!this.moments) {
      this.moments = emptyCoMoments(F, this.withPhaseCorrelations && this.group.cycles >= 2);
    }
    mergeCoMoments(this.moments.features, moments.features);
    if (this.moments.phases && moments.phases) {
      mergeCoMoments(this.moments.phases, moments.phases);
    }
  }

  /**
   * Every cycle's moments are in: the correlations are final, and the co-moments (150 × F × F × 7
   * numbers with phases) need not live through the second pass.
   */
  finishMoments(): void {
    this.correlations = correlationsOfMoments(
      this.features.length,
      this.moments ?? emptyCoMoments(this.features.length, false),
      this.group.cycles,
      this.options
    );
    this.moments = null;
  }

  /** The mean/SD patterns, once the first pass is done. */
  get patterns(): IPatterns {
    if (!this.patternCache) {
      this.patternCache = finalizePatterns(this.partial!, this.options);
    }
    return this.patternCache;
  }

  private patternCache: IPatterns | null = null;

  /** Second pass: a chunk's RMSE. */
  addRmse(offset: number, rmse: Float64Array): void {
    this.rmse.set(rmse, offset);
  }

  /** The quantiles of feature `f` from all its samples (reordered in place). */
  setQuantiles(f: number, samples: Float32Array): void {
    this.setQuantileValues(f, ...quartilesUnderPolicy(samples, this.options.nan));
  }

  /** The quantiles of feature `f`, computed elsewhere (NaN stays NaN). */
  setQuantileValues(f: number, q25: number, median: number, q75: number): void {
    this.medians.q25[f] = q25;
    this.medians.median[f] = median;
    this.medians.q75[f] = q75;
  }

  /** The group's results. */
  result(threshold: number): IGroupAnalysis {
    const F = this.features.length;
    const C = this.group.cycles;
    const summary: ISummaryStatistics = {
      mean: new Float64Array(F),
      std: new Float64Array(F),
      min: new Float64Array(F),
      max: new Float64Array(F),
      ...this.medians
    };
    const romOverall = new Float64Array(F);
    const partial = this.partial!;
    const propagate = this.options.nan === 'propagate';
    for (let f = 0; f < F; f++) {
      // Over all samples: the merge of the 150 phase cells' moments, and the per-cycle extremes.
      let n = 0;
      let mean = 0;
      let m2 = 0;
      let nan = false;
      for (let p = 0; p < PHASES; p++) {
        const cell = f * PHASES + p;
        nan ||= partial.nan[cell] === 1;
        const nb = partial.count[cell];
        if (nb === 0) {
          continue;
        }
        const delta = partial.mean[cell] - mean;
        const total = n + nb;
        mean += (delta * nb) / total;
        m2 += partial.m2[cell] + (delta * delta * n * nb) / total;
        n = total;
      }
      let min = Infinity;
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        const lo = this.perCycle.min[f * C + c];
        const hi = this.perCycle.max[f * C + c];
        if (lo === lo) {
          min = lo < min ? lo : min;
          max = hi > max ? hi : max;
        }
      }
      const poisoned = (nan && propagate) || n === 0;
      summary.mean[f] = poisoned ? NaN : mean;
      summary.std[f] = poisoned || n - this.options.ddof <= 0 ? NaN : Math.sqrt(m2 / (n - this.options.ddof));
      summary.min[f] = poisoned ? NaN : min;
      summary.max[f] = poisoned ? NaN : max;
      romOverall[f] = (nan && propagate) || min > max ? NaN : max - min;
    }
    return {
      task: this.group.task,
      subjects: this.group.subjects,
      cycles: C,
      cycleSubjects: this.group.cycleSubjects,
      cycleIndex: this.group.cycleIndex,
      features: this.features,
      perCycle: this.perCycle,
      patterns: this.patterns,
      romOverall,
      summary,
      outliers: outliersFromRmse(this.rmse, this.options, threshold),
      validation: { valid: Uint8Array.from(this.reasons, r => (r === 0 ? 1 : 0)), reasons: this.reasons },
      correlations: this.correlations!,
      elapsedMs: this.startedAt === null ? 0 : Math.round((now() - this.startedAt) * 10) / 10
    };
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
