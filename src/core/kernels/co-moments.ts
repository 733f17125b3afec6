/**
 * Mergeable co-moments of feature pairs, for Pearson correlations computed over cycle chunks
 * (streamed analysis) or GPU tiles, merged exactly in float64 (Chan et al.'s pairwise update).
 *
 * #### Notes
 * Pairs are (a, b) with a ≤ b in row order. Totals hold 7 numbers per (slot, pair), at
 * `(slot * P + pair) * 7`: n, mean a, mean b, C_aa, C_bb, C_ab, and a NaN flag. Slot 0 is "over
 * all samples"; for phase correlations the slot is the phase. Samples are pairwise complete.
 */
import { PHASES, type ICorrelations, type ICycleTensor, type IKernelOptions } from './types';

/** The (a, b), a ≤ b, pairs of F features, flattened. */
export function featurePairs(F: number): number[] {
  const pairs: number[] = [];
  for (let a = 0; a < F; a++) {
    for (let b = a; b < F; b++) {
      pairs.push(a, b);
    }
  }
  return pairs;
}

/** Co-moment totals of a tensor: over all samples, and at each phase across cycles. */
export interface ICoMoments {
  features: Float64Array;
  /** Null when phase correlations are not asked for. */
  phases: Float64Array | null;
}

/** Zeroed totals for F features. */
export function emptyCoMoments(F: number, withPhases: boolean): ICoMoments {
  const P = (F * (F + 1)) / 2;
  return { features: new Float64Array(P * 7), phases: withPhases ? new Float64Array(P * PHASES * 7) : null };
}

/** Co-moments of one tensor (a chunk of cycles): two passes per pair, float64. */
export function coMoments(tensor: ICycleTensor, withPhases: boolean): ICoMoments {
  const F = tensor.features.length;
  const C = tensor.cycles;
  const per = C * PHASES;
  const pairs = featurePairs(F);
  const P = pairs.length / 2;
  const out = emptyCoMoments(F, withPhases);
  for (let k = 0; k < P; k++) {
    const a = pairs[2 * k];
    const b = pairs[2 * k + 1];
    pairMoments(tensor.data, a * per, b * per, per, 1, out.features, k * 7);
    if (out.phases) {
      for (let p = 0; p < PHASES; p++) {
        pairMoments(tensor.data, a * per + p, b * per + p, C, PHASES, out.phases, (p * P + k) * 7);
      }
    }
  }
  return out;
}

function pairMoments(x: Float32Array, offsetA: number, offsetB: number, n: number, stride: number, out: Float64Array, o: number): void {
  let count = 0;
  let sa = 0;
  let sb = 0;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const a = x[offsetA + i * stride];
    const b = x[offsetB + i * stride];
    if (a !== a || b !== b) {
      nan = 1;
      continue;
    }
    count++;
    sa += a;
    sb += b;
  }
  out[o] = count;
  out[o + 6] = nan;
  if (count === 0) {
    return;
  }
  const ma = sa / count;
  const mb = sb / count;
  let caa = 0;
  let cbb = 0;
  let cab = 0;
  for (let i = 0; i < n; i++) {
    const a = x[offsetA + i * stride];
    const b = x[offsetB + i * stride];
    if (a !== a || b !== b) {
      continue;
    }
    caa += (a - ma) * (a - ma);
    cbb += (b - mb) * (b - mb);
    cab += (a - ma) * (b - mb);
  }
  out[o + 1] = ma;
  out[o + 2] = mb;
  out[o + 3] = caa;
  out[o + 4] = cbb;
  out[o + 5] = cab;
}

/** Merge `part` into `total` (same layout), exactly. */
export function mergeCoMoments(total: Float64Array, part: Float64Array): void {
  for (let t = 0; t < total.length; t += 7) {
    total[t + 6] = Math.max(total[t + 6], part[t + 6]);
    const nb = part[t];
    if (nb === 0) {
      continue;
    }
    const na = total[t];
    const n = na + nb;
    const da = part[t + 1] - total[t + 1];
    const db = part[t + 2] - total[t + 2];
    const w = (na * nb) / n;
    total[t + 3] += part[t + 3] + da * da * w;
    total[t + 4] += part[t + 4] + db * db * w;
    total[t + 5] += part[t + 5] + da * db * w;
    total[t + 1] += (da * nb) / n;
    total[t + 2] += (db * nb) / n;
    total[t] = n;
  }
}

/** Pearson's r of one (slot, pair) of merged totals (NaN as the reference gives it). */
export function pearsonOfMoments(moments: Float64Array, index: number, options: IKernelOptions): number {
  const o = index * 7;
  if ((moments[o + 6] > 0 && options.nan === 'propagate') || moments[o] < 2) {
    return NaN;
  }
  const r = moments[o + 5] / Math.sqrt(moments[o + 3] * moments[o + 4]);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** The correlation matrices from merged totals; phases need at least 2 cycles. */
export function correlationsOfMoments(F: number, moments: ICoMoments, cycles: number, options: IKernelOptions): ICorrelations {
  const pairs = featurePairs(F);
  const P = pairs.length / 2;
  const withPhases = moments.phases && cycles >= 2;
  const out: ICorrelations = { features: new Float64Array(F * F), phases: withPhases ? new Float64Array(PHASES * F * F) : null };
  for (let k = 0; k < P; k++) {
    const a = pairs[2 * k];
    const b = pairs[2 * k + 1];
    out.features[a * F + b] = out.features[b * F + a] = pearsonOfMoments(moments.features, k, options);
    if (withPhases && out.phases) {
      for (let p = 0; p < PHASES; p++) {
        const r = pearsonOfMoments(moments.phases!, p * P + k, options);
        out.phases[(p * F + a) * F + b] = out.phases[(p * F + b) * F + a] = r;
      }
    }
  }
  return out;
}
