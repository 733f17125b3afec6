/**
 * The analysis kernels' data and results, shared by every backend (reference, wasm, workers).
 *
 * #### Notes
 * Semantics are LocoHub's `LocomotionData` (../shared/docs/locomotion-data-standard.md §2.3):
 * a subject×task's rows in file order, cut in cycles of 150 rows, give a tensor of
 * cycles × 150 × features. locolens stores it feature-major, `[feature][cycle][phase]`, the
 * order of Arrow's columns cut in cycles, so a feature's cycles are contiguous.
 */

/** Names of the kernel backends ('workers' runs the wasm kernels on the worker pool). */
export type BackendName = 'reference' | 'wasm' | 'workers' | 'webgpu';

/** Samples per gait cycle. */
export const PHASES = 150;

/**
 * A cycles × 150 × features tensor, stored `[feature][cycle][phase]`:
 * sample (f, c, p) is at `data[(f * cycles + c) * 150 + p]`.
 */
export interface ICycleTensor {
  /** Feature (variable) names, in the order of the data. */
  features: string[];
  /** Number of cycles. */
  cycles: number;
  /** `features.length * cycles * 150` samples. */
  data: Float32Array;
}

/** How to treat NaN. */
export type NanPolicy =
  /** As LocoHub's Python library: NaN propagates into every result it touches. */
  | 'propagate'
  /** As LocoHub's R port: NaN samples are left out of means, SDs, min/max and ROM. */
  | 'ignore';

/** Options shared by the kernels. */
export interface IKernelOptions {
  /**
   * Delta degrees of freedom of every standard deviation: 0 = population SD (LocoHub Python,
   * numpy's default; the locolens default), 1 = sample SD (LocoHub MATLAB and R).
   */
  ddof: 0 | 1;
  /** NaN policy; default 'propagate'. */
  nan: NanPolicy;
}

/** The default options: LocoHub Python's behaviour. */
export const DEFAULT_KERNEL_OPTIONS: IKernelOptions = { ddof: 0, nan: 'propagate' };

/**
 * Per-cycle features, each `[feature][cycle]` (index `f * cycles + c`).
 */
export interface IPerCycleFeatures {
  mean: Float64Array;
  std: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** max − min within the cycle. */
  rom: Float64Array;
  /** argmax over phase of |x|, divided by 150 (first index on ties). */
  peakTiming: Float64Array;
  /**
   * Shape of the cycle's distribution, as scipy.stats' defaults (biased, Fisher): m3 / m2^1.5 and
   * m4 / m2² − 3 over the samples, NaN for a constant cycle (m2 ≤ (1e-15 · mean)²).
   */
  skewness: Float64Array;
  kurtosis: Float64Array;
  /**
   * The seed guide's dominant frequency: `fftfreq(150)[argmax |FFT|[1:75] + 1]`, in cycles per
   * sample (× 150: the harmonic of the gait cycle). Missing samples count as the cycle's mean
   * under 'ignore'; under 'propagate' a missing sample gives numpy's answer, bin 1.
   */
  dominantFrequency: Float64Array;
}

/**
 * Mean and SD patterns across cycles, each `[feature][phase]` (index `f * 150 + p`).
 */
export interface IPatterns {
  mean: Float64Array;
  std: Float64Array;
  /**
   * Cycles with a value (not NaN) at each (feature, phase), under both policies; under
   * 'propagate' a cell with fewer than all cycles has a NaN mean and SD.
   */
  count: Float64Array;
}

/**
 * Mergeable partial moments over cycles at each (feature, phase), for exact merging of cycle
 * ranges (Chan et al.'s parallel update): count, mean and sum of squared deviations.
 */
export interface IPatternPartial {
  features: number;
  count: Float64Array;
  mean: Float64Array;
  m2: Float64Array;
  /** (feature, phase) cells that met a NaN under 'propagate'. */
  nan: Uint8Array;
}

/** Summary statistics of each feature over all samples of all cycles. */
export interface ISummaryStatistics {
  mean: Float64Array;
  std: Float64Array;
  min: Float64Array;
  max: Float64Array;
  median: Float64Array;
  q25: Float64Array;
  q75: Float64Array;
}

/** Outlier cycles by RMSE against the mean pattern (LocoHub `find_outlier_cycles`). */
export interface IOutliers {
  /** Per-cycle RMSE over all phases and features. */
  rmse: Float64Array;
  /** mean(RMSE) + threshold · std(RMSE, ddof). */
  cut: number;
  threshold: number;
  /** 0-based indices of cycles with RMSE strictly above the cut. */
  cycles: number[];
}

/** Why a cycle is invalid (LocoHub `validate_cycles`), as bit flags. */
export const InvalidReason = {
  /** An angle outside [−π, π] rad. */
  AngleRange: 1,
  /** An angle jumps more than 0.5236 rad (30°) between consecutive samples. */
  AngleJump: 2,
  /** A velocity beyond ±17.45 rad/s (1000°/s). */
  Velocity: 4,
  /** A moment beyond ±300. */
  Moment: 8,
  /** A NaN or infinite sample in any feature. */
  NonFinite: 16
} as const;

/** Validation of each cycle. */
export interface IValidation {
  /** 1 = valid, per cycle. */
  valid: Uint8Array;
  /** InvalidReason flags per cycle. */
  reasons: Uint8Array;
}

/** Pearson correlations. */
export interface ICorrelations {
  /** F × F over all samples (`a * F + b`). */
  features: Float64Array;
  /** 150 × F × F across cycles at each phase (`(p * F + a) * F + b`); null with fewer than 2 cycles. */
  phases: Float64Array | null;
}
