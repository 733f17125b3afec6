/**
 * The reference backend: plain TypeScript, float64 arithmetic, two-pass where it matters.
 * It is the oracle of the other backends, and its semantics are LocoHub's (see types.ts).
 */
import {
  InvalidReason,
  PHASES,
  type ICorrelations,
  type ICycleTensor,
  type IKernelOptions,
  type IOutliers,
  type IPatternPartial,
  type IPatterns,
  type IPerCycleFeatures,
  type ISummaryStatistics,
  type IValidation
} from './types';

/** Zeroed per-cycle feature arrays of `size` = features × cycles. */
export function emptyPerCycleFeatures(size: number): IPerCycleFeatures {
  return {
    mean: new Float64Array(size),
    std: new Float64Array(size),
    min: new Float64Array(size),
    max: new Float64Array(size),
    rom: new Float64Array(size),
    peakTiming: new Float64Array(size),
    skewness: new Float64Array(size),
    kurtosis: new Float64Array(size),
    dominantFrequency: new Float64Array(size)
  };
}

/** The DFT bins the dominant frequency looks at: 1 … 74 (below Nyquist) of 150 samples. */
export const FREQUENCY_BINS = 74;

/** One cycle's deviations from its mean (missing samples: 0), reused from cycle to cycle. */
const deviations = new Float64Array(PHASES);

/** cos and sin of 2π k p / 150 for k = 1 … 74 (row k − 1), p = 0 … 149. */
let twiddles: { cos: Float64Array; sin: Float64Array } | null = null;

function dftTables(): { cos: Float64Array; sin: Float64Array } {
  if (!twiddles) {
    const cos = new Float64Array(FREQUENCY_BINS * PHASES);
    const sin = new Float64Array(FREQUENCY_BINS * PHASES);
    for (let k = 1; k <= FREQUENCY_BINS; k++) {
      for (let p = 0; p < PHASES; p++) {
        const angle = (2 * Math.PI * ((k * p) % PHASES)) / PHASES;
        cos[(k - 1) * PHASES + p] = Math.cos(angle);
        sin[(k - 1) * PHASES + p] = Math.sin(angle);
      }
    }
    twiddles = { cos, sin };
  }
  return twiddles;
}

/**
 * Skewness, kurtosis and dominant frequency of one cycle's 150 samples at `base` (the reference:
 * every DFT bin, no shortcut).
 */
export function cycleShape(x: ArrayLike<number>, base: number, ignore: boolean): { skewness: number; kurtosis: number; frequency: number } {
  let n = 0;
  let sum = 0;
  let hasNan = false;
  for (let p = 0; p < PHASES; p++) {
    const v = x[base + p];
    if (v !== v) {
      hasNan = true;
    } else {
      n++;
      sum += v;
    }
  }
  if (n === 0) {
    return { skewness: NaN, kurtosis: NaN, frequency: NaN };
  }
  if (hasNan && !ignore) {
    return { skewness: NaN, kurtosis: NaN, frequency: 1 / PHASES };
  }
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  const e = deviations;
  for (let p = 0; p < PHASES; p++) {
    const v = x[base + p];
    const d = v === v ? v - mean : 0;
    e[p] = d;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const constant = m2 <= (1e-15 * mean) ** 2;
  const { cos, sin } = dftTables();
  let best = -1;
  let bestK = 1;
  for (let k = 1; k <= FREQUENCY_BINS; k++) {
    let re = 0;
    let im = 0;
    const row = (k - 1) * PHASES;
    for (let p = 0; p < PHASES; p++) {
      re += e[p] * cos[row + p];
      im += e[p] * sin[row + p];
    }
    const power = re * re + im * im;
    if (power > best) {
      best = power;
      bestK = k;
    }
  }
  return {
    skewness: constant ? NaN : m3 / m2 ** 1.5,
    kurtosis: constant ? NaN : m4 / (m2 * m2) - 3,
    frequency: bestK / PHASES
  };
}

/** Per-cycle mean, SD, min, max, ROM, peak timing (argmax |x| / 150), skewness, kurtosis, dominant frequency. */
export function perCycleFeatures(tensor: ICycleTensor, options: IKernelOptions): IPerCycleFeatures {
  const F = tensor.features.length;
  const C = tensor.cycles;
  const out = emptyPerCycleFeatures(F * C);
  const ignore = options.nan === 'ignore';
  for (let fc = 0; fc < F * C; fc++) {
    const base = fc * PHASES;
    const x = tensor.data;
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let hasNan = false;
    let peak = -1;
    let peakAbs = -Infinity;
    let firstNan = -1;
    for (let p = 0; p < PHASES; p++) {
      const v = x[base + p];
      if (v !== v) {
        hasNan = true;
        if (firstNan < 0) {
          firstNan = p;
        }
        continue;
      }
      n++;
      sum += v;
      if (v < min) {
        min = v;
      }
      if (v > max) {
        max = v;
      }
      const a = Math.abs(v);
      if (a > peakAbs) {
        peakAbs = a;
        peak = p;
      }
    }
    if (hasNan && !ignore) {
      out.mean[fc] = out.std[fc] = out.min[fc] = out.max[fc] = out.rom[fc] = NaN;
      // numpy's argmax treats NaN as the largest value: the first NaN wins.
      out.peakTiming[fc] = firstNan / PHASES;
      continue;
    }
    if (n === 0) {
      out.mean[fc] = out.std[fc] = out.min[fc] = out.max[fc] = out.rom[fc] = out.peakTiming[fc] = NaN;
      continue;
    }
    const mean = sum / n;
    let ss = 0;
    for (let p = 0; p < PHASES; p++) {
      const v = x[base + p];
      if (v === v) {
        ss += (v - mean) * (v - mean);
      }
    }
    out.mean[fc] = mean;
    out.std[fc] = n - options.ddof > 0 ? Math.sqrt(ss / (n - options.ddof)) : NaN;
    out.min[fc] = min;
    out.max[fc] = max;
    out.rom[fc] = max - min;
    out.peakTiming[fc] = peak / PHASES;
  }
  for (let fc = 0; fc < F * C; fc++) {
    const shape = cycleShape(tensor.data, fc * PHASES, ignore);
    out.skewness[fc] = shape.skewness;
    out.kurtosis[fc] = shape.kurtosis;
    out.dominantFrequency[fc] = shape.frequency;
  }
  return out;
}

/** Moments over cycles at each (feature, phase), for cycles `[from, to)`. */
export function patternPartial(tensor: ICycleTensor, from = 0, to = tensor.cycles): IPatternPartial {
  const F = tensor.features.length;
  const C = tensor.cycles;
  const partial = emptyPatternPartial(F);
  for (let f = 0; f < F; f++) {
    for (let p = 0; p < PHASES; p++) {
      const cell = f * PHASES + p;
      let n = 0;
      let mean = 0;
      let m2 = 0;
      for (let c = from; c < to; c++) {
        const v = tensor.data[(f * C + c) * PHASES + p];
        if (v !== v) {
          partial.nan[cell] = 1;
          continue;
        }
        n++;
        const delta = v - mean;
        mean += delta / n;
        m2 += delta * (v - mean);
      }
      partial.count[cell] = n;
      partial.mean[cell] = mean;
      partial.m2[cell] = m2;
    }
  }
  return partial;
}

/** A partial of no cycles. */
export function emptyPatternPartial(features: number): IPatternPartial {
  return {
    features,
    count: new Float64Array(features * PHASES),
    mean: new Float64Array(features * PHASES),
    m2: new Float64Array(features * PHASES),
    nan: new Uint8Array(features * PHASES)
  };
}

/** Merge partials of disjoint cycle sets exactly (Chan's parallel variance update). */
export function mergePatternPartials(parts: IPatternPartial[]): IPatternPartial {
  const F = parts[0].features;
  const out = emptyPatternPartial(F);
  for (const part of parts) {
    for (let i = 0; i < F * PHASES; i++) {
      const nb = part.count[i];
      out.nan[i] |= part.nan[i];
      if (nb === 0) {
        continue;
      }
      const na = out.count[i];
      const n = na + nb;
      const delta = part.mean[i] - out.mean[i];
      out.mean[i] += (delta * nb) / n;
      out.m2[i] += part.m2[i] + (delta * delta * na * nb) / n;
      out.count[i] = n;
    }
  }
  return out;
}

/** Mean and SD patterns from merged moments. */
export function finalizePatterns(partial: IPatternPartial, options: IKernelOptions): IPatterns {
  const size = partial.features * PHASES;
  const out: IPatterns = { mean: new Float64Array(size), std: new Float64Array(size), count: new Float64Array(size) };
  for (let i = 0; i < size; i++) {
    const n = partial.count[i];
    const poisoned = partial.nan[i] === 1 && options.nan === 'propagate';
    out.count[i] = n;
    out.mean[i] = poisoned || n === 0 ? NaN : partial.mean[i];
    out.std[i] = poisoned || n - options.ddof <= 0 ? NaN : Math.sqrt(partial.m2[i] / (n - options.ddof));
  }
  return out;
}

/** Mean ± SD patterns across all cycles. */
export function patterns(tensor: ICycleTensor, options: IKernelOptions): IPatterns {
  return finalizePatterns(patternPartial(tensor), options);
}

/** Overall ROM per feature: global max − global min over all samples (not the mean of per-cycle ROM). */
export function romOverall(tensor: ICycleTensor, options: IKernelOptions): Float64Array {
  const F = tensor.features.length;
  const per = tensor.cycles * PHASES;
  const out = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let min = Infinity;
    let max = -Infinity;
    let nan = false;
    for (let i = f * per; i < (f + 1) * per; i++) {
      const v = tensor.data[i];
      if (v !== v) {
        nan = true;
      } else {
        min = v < min ? v : min;
        max = v > max ? v : max;
      }
    }
    out[f] = (nan && options.nan === 'propagate') || min > max ? NaN : max - min;
  }
  return out;
}

/**
 * Mean, SD, min, max, median and quartiles of each feature over all its samples
 * (quantiles by linear interpolation, as numpy.percentile's default).
 */
export function summaryStatistics(tensor: ICycleTensor, options: IKernelOptions): ISummaryStatistics {
  const F = tensor.features.length;
  const per = tensor.cycles * PHASES;
  const out: ISummaryStatistics = {
    mean: new Float64Array(F),
    std: new Float64Array(F),
    min: new Float64Array(F),
    max: new Float64Array(F),
    median: new Float64Array(F),
    q25: new Float64Array(F),
    q75: new Float64Array(F)
  };
  for (let f = 0; f < F; f++) {
    const all = tensor.data.subarray(f * per, (f + 1) * per);
    // A float32 copy (the selection reorders it); the arithmetic below is float64.
    let values = all.slice();
    let nan = false;
    for (let i = 0; i < values.length && !nan; i++) {
      nan = values[i] !== values[i];
    }
    if (nan && options.nan === 'propagate') {
      for (const key of Object.keys(out) as Array<keyof ISummaryStatistics>) {
        out[key][f] = NaN;
      }
      continue;
    }
    if (nan) {
      values = values.filter(v => v === v);
    }
    const n = values.length;
    if (n === 0) {
      for (const key of Object.keys(out) as Array<keyof ISummaryStatistics>) {
        out[key][f] = NaN;
      }
      continue;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += values[i];
    }
    const mean = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      ss += (values[i] - mean) * (values[i] - mean);
    }
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      min = values[i] < min ? values[i] : min;
      max = values[i] > max ? values[i] : max;
    }
    out.mean[f] = mean;
    out.std[f] = n - options.ddof > 0 ? Math.sqrt(ss / (n - options.ddof)) : NaN;
    out.min[f] = min;
    out.max[f] = max;
    [out.q25[f], out.median[f], out.q75[f]] = quantilesOf(values, [0.25, 0.5, 0.75]);
  }
  return out;
}

/**
 * numpy.percentile's linear interpolation at each of `qs` (ascending), from unsorted values
 * without NaN, by selection (expected linear time) instead of a full sort. `values` is
 * reordered in place. Equal to `quantileSorted` on the sorted values.
 */
export function quantilesOf(values: Float32Array | Float64Array, qs: number[]): number[] {
  const n = values.length;
  const out: number[] = [];
  let left = 0;
  for (const q of qs) {
    const position = q * (n - 1);
    const lower = Math.floor(position);
    const upper = Math.min(n - 1, lower + 1);
    if (lower >= left) {
      selectKth(values, lower, left, n - 1);
      left = lower;
    }
    let next = values[lower];
    if (upper > lower) {
      // The smallest value right of `lower` (all of them are ≥ it after the selection).
      next = Infinity;
      for (let i = lower + 1; i < n; i++) {
        next = values[i] < next ? values[i] : next;
      }
    }
    out.push(values[lower] + (next - values[lower]) * (position - lower));
  }
  return out;
}

/**
 * q25, median and q75 of some samples under a NaN policy: NaN for all three when a NaN meets
 * 'propagate' (or no sample is left), else over the samples without NaN. `values` may be reordered.
 */
export function quartilesUnderPolicy(values: Float32Array, nan: IKernelOptions['nan']): [number, number, number] {
  let samples = values;
  const hasNan = samples.some(v => v !== v);
  if (hasNan && nan === 'propagate') {
    return [NaN, NaN, NaN];
  }
  if (hasNan) {
    samples = samples.filter(v => v === v);
  }
  if (samples.length === 0) {
    return [NaN, NaN, NaN];
  }
  const [q25, median, q75] = quantilesOf(samples, [0.25, 0.5, 0.75]);
  return [q25, median, q75];
}

/** Put the k-th smallest of `a[left..right]` at `a[k]`, smaller ones left of it, larger right (Hoare). */
function selectKth(a: Float32Array | Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    // Median of three as the pivot.
    const middle = (left + right) >>> 1;
    const x = a[left];
    const y = a[middle];
    const z = a[right];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) {
        i++;
      }
      while (a[j] > pivot) {
        j--;
      }
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) {
      right = j;
    } else if (k >= i) {
      left = i;
    } else {
      return;
    }
  }
}

/** numpy.percentile's linear interpolation on sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(sorted.length - 1, lower + 1);
  const weight = position - lower;
  return sorted[lower] + (sorted[upper] - sorted[lower]) * weight;
}

/**
 * Per-cycle RMSE against the mean pattern over all phases and features (not normalized), and
 * the cycles whose RMSE is strictly above mean + threshold · SD of the RMSEs (LocoHub's
 * `find_outlier_cycles`; NaN anywhere under 'propagate' means no outliers).
 */
export function outlierCycles(tensor: ICycleTensor, options: IKernelOptions, threshold = 2, mean?: Float64Array): IOutliers {
  const m = mean ?? patterns(tensor, options).mean;
  const rmse = cycleRmse(tensor, m, options);
  return outliersFromRmse(rmse, options, threshold);
}

/** RMSE of each cycle against a mean pattern `[feature][phase]`. */
export function cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions, from = 0, to = tensor.cycles): Float64Array {
  const F = tensor.features.length;
  const C = tensor.cycles;
  const out = new Float64Array(to - from);
  for (let c = from; c < to; c++) {
    let ss = 0;
    let n = 0;
    let nan = false;
    for (let f = 0; f < F; f++) {
      const base = (f * C + c) * PHASES;
      for (let p = 0; p < PHASES; p++) {
        const d = tensor.data[base + p] - mean[f * PHASES + p];
        if (d !== d) {
          nan = true;
          continue;
        }
        ss += d * d;
        n++;
      }
    }
    out[c - from] = (nan && options.nan === 'propagate') || n === 0 ? NaN : Math.sqrt(ss / n);
  }
  return out;
}

/** The cut and the outliers from per-cycle RMSEs. */
export function outliersFromRmse(rmse: Float64Array, options: IKernelOptions, threshold: number): IOutliers {
  const values = options.nan === 'ignore' ? rmse.filter(v => v === v) : rmse;
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i];
  }
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    ss += (values[i] - mean) * (values[i] - mean);
  }
  const std = n - options.ddof > 0 ? Math.sqrt(ss / (n - options.ddof)) : NaN;
  const cut = mean + threshold * std;
  const cycles: number[] = [];
  rmse.forEach((value, c) => {
    if (value > cut) {
      cycles.push(c);
    }
  });
  return { rmse, cut, threshold, cycles };
}

/** LocoHub's hard limits. */
export const VALIDATION_LIMITS = { angle: Math.PI, angleJump: 0.5236, velocity: 17.45, moment: 300 };

/** Validation of each cycle against LocoHub's hard limits (first matching keyword wins). */
export function validateCycles(tensor: ICycleTensor): IValidation {
  const C = tensor.cycles;
  const reasons = new Uint8Array(C);
  tensor.features.forEach((name, f) => {
    const kind = name.includes('angle') ? 'angle' : name.includes('velocity') ? 'velocity' : name.includes('moment') ? 'moment' : null;
    for (let c = 0; c < C; c++) {
      const base = (f * C + c) * PHASES;
      let flags = 0;
      for (let p = 0; p < PHASES; p++) {
        const v = tensor.data[base + p];
        if (!Number.isFinite(v)) {
          flags |= InvalidReason.NonFinite;
        }
        if (kind === 'angle') {
          if (v < -VALIDATION_LIMITS.angle || v > VALIDATION_LIMITS.angle) {
            flags |= InvalidReason.AngleRange;
          }
          if (p > 0 && Math.abs(v - tensor.data[base + p - 1]) > VALIDATION_LIMITS.angleJump) {
            flags |= InvalidReason.AngleJump;
          }
        } else if (kind === 'velocity' && Math.abs(v) > VALIDATION_LIMITS.velocity) {
          flags |= InvalidReason.Velocity;
        } else if (kind === 'moment' && Math.abs(v) > VALIDATION_LIMITS.moment) {
          flags |= InvalidReason.Moment;
        }
      }
      reasons[c] |= flags;
    }
  });
  const valid = new Uint8Array(C);
  for (let c = 0; c < C; c++) {
    valid[c] = reasons[c] === 0 ? 1 : 0;
  }
  return { valid, reasons };
}

/**
 * Pearson correlation between features over all samples, and at each phase across cycles
 * (numpy.corrcoef; a constant feature gives NaN; under 'ignore', pairwise complete samples).
 */
export function correlations(tensor: ICycleTensor, options: IKernelOptions, withPhases = true): ICorrelations {
  const F = tensor.features.length;
  const C = tensor.cycles;
  const per = C * PHASES;
  const features = new Float64Array(F * F);
  for (let a = 0; a < F; a++) {
    for (let b = a; b < F; b++) {
      const r = pearson(tensor.data, a * per, b * per, per, 1, options);
      features[a * F + b] = features[b * F + a] = r;
    }
  }
  let phases: Float64Array | null = null;
  if (C >= 2 && withPhases) {
    phases = new Float64Array(PHASES * F * F);
    for (let p = 0; p < PHASES; p++) {
      for (let a = 0; a < F; a++) {
        for (let b = a; b < F; b++) {
          const r = pearson(tensor.data, a * per + p, b * per + p, C, PHASES, options);
          phases[(p * F + a) * F + b] = phases[(p * F + b) * F + a] = r;
        }
      }
    }
  }
  return { features, phases };
}

function pearson(x: Float32Array, offsetA: number, offsetB: number, n: number, stride: number, options: IKernelOptions): number {
  let count = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    const a = x[offsetA + i * stride];
    const b = x[offsetB + i * stride];
    if (a !== a || b !== b) {
      if (options.nan === 'propagate') {
        return NaN;
      }
      continue;
    }
    count++;
    sa += a;
    sb += b;
  }
  if (count < 2) {
    return NaN;
  }
  const ma = sa / count;
  const mb = sb / count;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const a = x[offsetA + i * stride];
    const b = x[offsetB + i * stride];
    if (a !== a || b !== b) {
      continue;
    }
    cov += (a - ma) * (b - mb);
    va += (a - ma) * (a - ma);
    vb += (b - mb) * (b - mb);
  }
  const r = cov / Math.sqrt(va * vb);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}
