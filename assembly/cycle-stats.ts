/**
 * locolens' WebAssembly SIMD kernels (AssemblyScript, compiled by scripts/build-wasm.mjs).
 *
 * Data layout: `[feature][cycle][phase]`, 150 float32 phases per cycle (600 bytes), as
 * ../src/core/kernels/types.ts. The caller (src/core/kernels/wasm/wasm-kernels.ts) lays out every
 * buffer in linear memory above `heapBase()` and passes pointers; nothing here allocates.
 *
 * One fused pass per cycle (each sample loaded once, 38 f32x4 vectors, the last one overlapping)
 * computes the per-cycle features and adds into the pattern sums. The wrapper calls it once per
 * feature, and the RMSE likewise (V8 swaps in optimized wasm code only between calls).
 *
 * Accuracy (float32 lanes, float64 results; the reference is float64):
 * - a cycle's mean and SD come from sums of e = x − x[0] and e² in float32 lanes (≤ 38 terms a lane),
 *   added in float64: mean = x[0] + Σe/n, SS = Σe² − (Σe)²/n. The float32 rounding of Σe² costs
 *   SS a relative error about ε·(1 + (mean − x[0])²/SD²); where that ratio exceeds 16 (x[0] far from
 *   the mean) the cycle's 600 bytes are swept again from L1 around the float32 mean (corrected
 *   two-pass);
 * - the pattern moments at each (feature, phase) are summed in float32 lanes over blocks of at most
 *   16 cycles, shifted by the running float64 mean (rounded to float32) of the cycles before the
 *   block; each block's count/mean/M2 is then merged into the float64 moments with Chan's update.
 *   Blocks start at 1 cycle and then hold as many cycles as came before (up to 16), so that the
 *   shift is a mean over at least as many cycles as the block has;
 * - min, max and argmax |x| are exact (float32 values, first index on ties);
 * - the RMSE subtracts the float64 mean pattern as float32 hi + lo parts and sums squares per
 *   feature and cycle (≤ 38 terms a lane) before adding into float64.
 * A cycle with a NaN or an infinity (its float32 sum is not finite) takes a scalar float64 path that
 * is the reference's code, and its block's pattern sums are redone leaving NaN out.
 */

const PHASES: i32 = 150;
const CYCLE_BYTES: usize = 600;
/** Pattern block size (cycles) once the running mean is established. */
const BLOCK: i32 = 16;
/** Byte offset of the last (overlapping) vector of a cycle: phases 146..149. */
const TAIL: usize = 584;
/** Byte offset of the tail's slot in the 152-float scratch vectors: slot floats 148..151 hold phases 146..149. */
const TAIL_SLOT: usize = 592;

// 152-float scratch vectors, "slot layout": phase p < 148 at float p; phases 146..149 again at floats 148..151
// (so phase 148 is at 150 and 149 at 151).
const S1: usize = memory.data(152 * 4, 16);
const S2: usize = memory.data(152 * 4, 16);
const SHIFT: usize = memory.data(152 * 4, 16);
const NANCNT: usize = memory.data(152 * 4, 16);
const MHI: usize = memory.data(152 * 4, 16);
const MLO: usize = memory.data(152 * 4, 16);

/** First free byte of linear memory: the caller's buffers start here (16-byte aligned). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

// @ts-ignore: decorator
@inline function slotOf(p: i32): usize {
  return <usize>(p < 148 ? p : p + 2);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1));
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * Per-cycle features of every cycle and the pattern partial of each feature.
 * `data`: features × cycles × 150 float32. Per-cycle outputs: features × cycles float64 each.
 * Partial outputs: features × 150 float64 (count, mean, m2) and u8 (nan).
 */
export function perCycleAndPatterns(
  data: usize,
  features: i32,
  cycles: i32,
  ddof: i32,
  ignore: i32,
  oMean: usize,
  oStd: usize,
  oMin: usize,
  oMax: usize,
  oRom: usize,
  oPeak: usize,
  pCount: usize,
  pMean: usize,
  pM2: usize,
  pNan: usize
): void {
  const tailMask = i32x4(0, 0, -1, -1);
  const absMask = i32x4.splat(0x7fffffff);
  const four = i32x4.splat(4);
  const zero = f32x4.splat(0);
  const sdDiv: f64 = <f64>(PHASES - ddof);
  for (let f = 0; f < features; f++) {
    const fdata = data + <usize>f * <usize>cycles * CYCLE_BYTES;
    const cell = <usize>f * <usize>PHASES;
    for (let p = 0; p < PHASES; p++) {
      store<f64>(pCount + ((cell + p) << 3), 0);
      store<f64>(pMean + ((cell + p) << 3), 0);
      store<f64>(pM2 + ((cell + p) << 3), 0);
      store<u8>(pNan + cell + p, 0);
    }
    let done: i32 = 0;
    let uniform = true;
    let c0: i32 = 0;
    while (c0 < cycles) {
      let nb: i32 = done < BLOCK ? (done > 0 ? done : 1) : BLOCK;
      if (nb > cycles - c0) nb = cycles - c0;
      // The shift of each phase: the running mean, else the block's first non-NaN sample, else 0.
      for (let p = 0; p < PHASES; p++) {
        const at = (cell + p) << 3;
        let k: f32 = 0;
        if (load<f64>(pCount + at) > 0) {
          k = <f32>load<f64>(pMean + at);
        } else {
          for (let c = c0; c < c0 + nb; c++) {
            const v = load<f32>(fdata + <usize>c * CYCLE_BYTES + (<usize>p << 2));
            if (v == v) {
              k = v;
              break;
            }
          }
        }
        store<f32>(SHIFT + (slotOf(p) << 2), k);
        if (p == 146 || p == 147) store<f32>(SHIFT + (<usize>(p + 2) << 2), k);
      }
      for (let i: usize = 0; i < 152 * 4; i += 16) {
        v128.store(S1 + i, zero);
        v128.store(S2 + i, zero);
        v128.store(NANCNT + i, zero);
      }
      let blockNan = false;
      for (let c = c0; c < c0 + nb; c++) {
        const x = fdata + <usize>c * CYCLE_BYTES;
        const out = (<usize>f * <usize>cycles + <usize>c) << 3;
        // One pass: sums of e = x − x[0] and e², min, max, argmax |x|, and the pattern sums.
        const x0 = load<f32>(x);
        const shift = f32x4.splat(x0);
        let se = zero;
        let sse = zero;
        let mn = f32x4.splat(Infinity);
        let mx = f32x4.splat(-Infinity);
        let best = f32x4.splat(-1);
        let bidx = i32x4.splat(0);
        let idx = i32x4(0, 1, 2, 3);
        for (let o: usize = 0; o < TAIL; o += 16) {
          const v = v128.load(x + o);
          const e = f32x4.sub(v, shift);
          se = f32x4.add(se, e);
          sse = f32x4.add(sse, f32x4.mul(e, e));
          mn = f32x4.pmin(mn, v);
          mx = f32x4.pmax(mx, v);
          const a = v128.and(v, absMask);
          // Indices only grow: a lane's new best index is simply the current one.
          bidx = i32x4.max_s(bidx, v128.and(idx, f32x4.gt(a, best)));
          best = f32x4.pmax(best, a);
          idx = i32x4.add(idx, four);
          const d = f32x4.sub(v, v128.load(SHIFT + o));
          v128.store(S1 + o, f32x4.add(v128.load(S1 + o), d));
          v128.store(S2 + o, f32x4.add(v128.load(S2 + o), f32x4.mul(d, d)));
        }
        {
          const v = v128.load(x + TAIL);
          const e = v128.and(f32x4.sub(v, shift), tailMask);
          se = f32x4.add(se, e);
          sse = f32x4.add(sse, f32x4.mul(e, e));
          mn = f32x4.pmin(mn, v);
          mx = f32x4.pmax(mx, v);
          const a = f32x4.abs(v);
          bidx = i32x4.max_s(bidx, v128.and(i32x4(146, 147, 148, 149), f32x4.gt(a, best)));
          best = f32x4.pmax(best, a);
          const d = f32x4.sub(v, v128.load(SHIFT + TAIL_SLOT));
          v128.store(S1 + TAIL_SLOT, f32x4.add(v128.load(S1 + TAIL_SLOT), d));
          v128.store(S2 + TAIL_SLOT, f32x4.add(v128.load(S2 + TAIL_SLOT), f32x4.mul(d, d)));
        }
        let sumE = hsum(se);
        if (!isFinite(sumE)) {
          // NaN or infinity: the reference's code; the block's pattern sums are redone without NaN below.
          slowCycle(x, out, ddof, ignore, oMean, oStd, oMin, oMax, oRom, oPeak);
          blockNan = true;
          continue;
        }
        let base: f64 = <f64>x0;
        let ss = hsum(sse) - (sumE * sumE) / <f64>PHASES;
        // The shift x[0] is far from the mean (relative to the SD): float32 cancellation could cost more than
        // 1e-6, so sum again (from L1) around the float32 mean.
        if (!(sumE * sumE <= 16 * <f64>PHASES * ss)) {
          const m32 = <f32>(base + sumE / <f64>PHASES);
          const m = f32x4.splat(m32);
          se = zero;
          sse = zero;
          for (let o: usize = 0; o < TAIL; o += 16) {
            const e = f32x4.sub(v128.load(x + o), m);
            se = f32x4.add(se, e);
            sse = f32x4.add(sse, f32x4.mul(e, e));
          }
          const e = v128.and(f32x4.sub(v128.load(x + TAIL), m), tailMask);
          se = f32x4.add(se, e);
          sse = f32x4.add(sse, f32x4.mul(e, e));
          base = <f64>m32;
          sumE = hsum(se);
          ss = hsum(sse) - (sumE * sumE) / <f64>PHASES;
        }
        if (ss < 0) ss = 0;
        // Horizontal min, max and argmax |x| (the smallest index among the lanes holding the largest |x|).
        mn = f32x4.pmin(mn, f32x4.shuffle(mn, mn, 2, 3, 0, 1));
        mn = f32x4.pmin(mn, f32x4.shuffle(mn, mn, 1, 0, 3, 2));
        mx = f32x4.pmax(mx, f32x4.shuffle(mx, mx, 2, 3, 0, 1));
        mx = f32x4.pmax(mx, f32x4.shuffle(mx, mx, 1, 0, 3, 2));
        let top = f32x4.pmax(best, f32x4.shuffle(best, best, 2, 3, 0, 1));
        top = f32x4.pmax(top, f32x4.shuffle(top, top, 1, 0, 3, 2));
        let first = v128.bitselect(bidx, i32x4.splat(PHASES), f32x4.eq(best, top));
        first = i32x4.min_s(first, i32x4.shuffle(first, first, 2, 3, 0, 1));
        first = i32x4.min_s(first, i32x4.shuffle(first, first, 1, 0, 3, 2));
        const vmin = <f64>f32x4.extract_lane(mn, 0);
        const vmax = <f64>f32x4.extract_lane(mx, 0);
        const pi = i32x4.extract_lane(first, 0);
        store<f64>(oMean + out, base + sumE / <f64>PHASES);
        store<f64>(oStd + out, Math.sqrt(ss / sdDiv));
        store<f64>(oMin + out, vmin);
        store<f64>(oMax + out, vmax);
        store<f64>(oRom + out, vmax - vmin);
        store<f64>(oPeak + out, <f64>pi / <f64>PHASES);
      }
      if (blockNan) {
        redoBlockSums(fdata, c0, nb, cell, pNan);
      }
      if (uniform && !blockNan) {
        mergeUniform(cell, <f64>done, <f64>nb, pCount, pMean, pM2);
      } else {
        mergeGeneral(cell, nb, pCount, pMean, pM2);
        uniform = false;
      }
      done += nb;
      c0 += nb;
    }
  }
}

/** The reference's per-cycle code, for a cycle with NaN or infinity. */
function slowCycle(x: usize, out: usize, ddof: i32, ignore: i32, oMean: usize, oStd: usize, oMin: usize, oMax: usize, oRom: usize, oPeak: usize): void {
  let n: i32 = 0;
  let sum: f64 = 0;
  let min: f64 = Infinity;
  let max: f64 = -Infinity;
  let hasNan = false;
  let peak: i32 = -1;
  let peakAbs: f64 = -Infinity;
  let firstNan: i32 = -1;
  for (let p = 0; p < PHASES; p++) {
    const v = <f64>load<f32>(x + (<usize>p << 2));
    if (v != v) {
      hasNan = true;
      if (firstNan < 0) firstNan = p;
      continue;
    }
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    const a = Math.abs(v);
    if (a > peakAbs) {
      peakAbs = a;
      peak = p;
    }
  }
  if (hasNan && !ignore) {
    store<f64>(oMean + out, NaN);
    store<f64>(oStd + out, NaN);
    store<f64>(oMin + out, NaN);
    store<f64>(oMax + out, NaN);
    store<f64>(oRom + out, NaN);
    store<f64>(oPeak + out, <f64>firstNan / <f64>PHASES);
    return;
  }
  if (n == 0) {
    store<f64>(oMean + out, NaN);
    store<f64>(oStd + out, NaN);
    store<f64>(oMin + out, NaN);
    store<f64>(oMax + out, NaN);
    store<f64>(oRom + out, NaN);
    store<f64>(oPeak + out, NaN);
    return;
  }
  const mean = sum / <f64>n;
  let ss: f64 = 0;
  for (let p = 0; p < PHASES; p++) {
    const v = <f64>load<f32>(x + (<usize>p << 2));
    if (v == v) ss += (v - mean) * (v - mean);
  }
  store<f64>(oMean + out, mean);
  store<f64>(oStd + out, n - ddof > 0 ? Math.sqrt(ss / <f64>(n - ddof)) : NaN);
  store<f64>(oMin + out, min);
  store<f64>(oMax + out, max);
  store<f64>(oRom + out, max - min);
  store<f64>(oPeak + out, <f64>peak / <f64>PHASES);
}

/** The pattern sums of a block with NaN, again, leaving NaN out (counted in NANCNT, flagged in `pNan`). */
function redoBlockSums(fdata: usize, c0: i32, nb: i32, cell: usize, pNan: usize): void {
  for (let i: usize = 0; i < 152 * 4; i += 4) {
    store<f32>(S1 + i, 0);
    store<f32>(S2 + i, 0);
    store<i32>(NANCNT + i, 0);
  }
  for (let c = c0; c < c0 + nb; c++) {
    const x = fdata + <usize>c * CYCLE_BYTES;
    for (let p = 0; p < PHASES; p++) {
      const v = load<f32>(x + (<usize>p << 2));
      const slot = slotOf(p) << 2;
      if (v != v) {
        store<i32>(NANCNT + slot, load<i32>(NANCNT + slot) + 1);
        store<u8>(pNan + cell + <usize>p, 1);
        continue;
      }
      const d = v - load<f32>(SHIFT + slot);
      store<f32>(S1 + slot, load<f32>(S1 + slot) + d);
      store<f32>(S2 + slot, load<f32>(S2 + slot) + d * d);
    }
  }
}

/** Chan-merge a block of `nb` NaN-free cycles into moments whose counts are all `na`. */
function mergeUniform(cell: usize, na: f64, nb: f64, pCount: usize, pMean: usize, pM2: usize): void {
  const n = na + nb;
  const invNb = f64x2.splat(1 / nb);
  const wb = f64x2.splat(nb / n);
  const wab = f64x2.splat((na * nb) / n);
  const nv = f64x2.splat(n);
  const zero = f64x2.splat(0);
  // Phase pairs (2j, 2j+1): slots 2j for j < 74; the last pair (148, 149) at slot 150.
  for (let j = 0; j < 75; j++) {
    const slot: usize = j < 74 ? <usize>(2 * j) << 2 : 150 << 2;
    const at = (cell + <usize>(2 * j)) << 3;
    const s1 = f64x2.promote_low_f32x4(v128.load64_zero(S1 + slot));
    const s2 = f64x2.promote_low_f32x4(v128.load64_zero(S2 + slot));
    const k = f64x2.promote_low_f32x4(v128.load64_zero(SHIFT + slot));
    const meanB = f64x2.add(k, f64x2.mul(s1, invNb));
    const m2B = f64x2.pmax(f64x2.sub(s2, f64x2.mul(f64x2.mul(s1, s1), invNb)), zero);
    const meanA = v128.load(pMean + at);
    const delta = f64x2.sub(meanB, meanA);
    v128.store(pMean + at, f64x2.add(meanA, f64x2.mul(delta, wb)));
    v128.store(pM2 + at, f64x2.add(v128.load(pM2 + at), f64x2.add(m2B, f64x2.mul(f64x2.mul(delta, delta), wab))));
    v128.store(pCount + at, nv);
  }
}

/** Chan-merge a block of `nb` cycles, some with NaN, into moments of any counts. */
function mergeGeneral(cell: usize, nb: i32, pCount: usize, pMean: usize, pM2: usize): void {
  for (let p = 0; p < PHASES; p++) {
    const slot = slotOf(p) << 2;
    const cnt = <f64>(nb - load<i32>(NANCNT + slot));
    if (cnt == 0) continue;
    const at = (cell + <usize>p) << 3;
    const s1 = <f64>load<f32>(S1 + slot);
    const s2 = <f64>load<f32>(S2 + slot);
    const meanB = <f64>load<f32>(SHIFT + slot) + s1 / cnt;
    let m2B = s2 - (s1 * s1) / cnt;
    if (m2B < 0) m2B = 0;
    const na = load<f64>(pCount + at);
    const n = na + cnt;
    const meanA = load<f64>(pMean + at);
    const delta = meanB - meanA;
    store<f64>(pMean + at, meanA + (delta * cnt) / n);
    store<f64>(pM2 + at, load<f64>(pM2 + at) + m2B + (delta * delta * na * cnt) / n);
    store<f64>(pCount + at, n);
  }
}

/** Zeroes the RMSE accumulators of `cycles` cycles: sums of squares and counts (float64), NaN flags (u8). */
export function rmseBegin(cycles: i32, ssPtr: usize, nPtr: usize, nanPtr: usize): void {
  memory.fill(ssPtr, 0, <usize>cycles << 3);
  memory.fill(nPtr, 0, <usize>cycles << 3);
  memory.fill(nanPtr, 0, <usize>cycles);
}

/**
 * Adds the squared differences of `features` features (`data`: features × cycles × 150 float32) from their
 * mean pattern (`meanPtr`: features × 150 float64) into the per-cycle accumulators.
 */
export function rmseAccumulate(data: usize, features: i32, cycles: i32, meanPtr: usize, ssPtr: usize, nPtr: usize, nanPtr: usize): void {
  const tailMask = i32x4(0, 0, -1, -1);
  for (let f = 0; f < features; f++) {
    const fdata = data + <usize>f * <usize>cycles * CYCLE_BYTES;
    const mrow = meanPtr + ((<usize>f * <usize>PHASES) << 3);
    // The mean as float32 hi + lo: (x − hi) is exact near the mean, and − lo restores float64's precision.
    for (let p = 0; p < PHASES; p++) {
      const m = load<f64>(mrow + (<usize>p << 3));
      const hi = <f32>m;
      const lo = <f32>(m - <f64>hi);
      store<f32>(MHI + (slotOf(p) << 2), hi);
      store<f32>(MLO + (slotOf(p) << 2), lo);
      if (p == 146 || p == 147) {
        store<f32>(MHI + (<usize>(p + 2) << 2), hi);
        store<f32>(MLO + (<usize>(p + 2) << 2), lo);
      }
    }
    for (let c = 0; c < cycles; c++) {
      const x = fdata + <usize>c * CYCLE_BYTES;
      let acc = f32x4.splat(0);
      for (let o: usize = 0; o < TAIL; o += 16) {
        const d = f32x4.sub(f32x4.sub(v128.load(x + o), v128.load(MHI + o)), v128.load(MLO + o));
        acc = f32x4.add(acc, f32x4.mul(d, d));
      }
      {
        const d = v128.and(f32x4.sub(f32x4.sub(v128.load(x + TAIL), v128.load(MHI + TAIL_SLOT)), v128.load(MLO + TAIL_SLOT)), tailMask);
        acc = f32x4.add(acc, f32x4.mul(d, d));
      }
      const s = hsum(acc);
      const at = <usize>c << 3;
      if (isFinite(s)) {
        store<f64>(ssPtr + at, load<f64>(ssPtr + at) + s);
        store<f64>(nPtr + at, load<f64>(nPtr + at) + <f64>PHASES);
        continue;
      }
      // NaN or infinity in the data or the mean: the reference's float64 code.
      let ss: f64 = 0;
      let n: f64 = 0;
      for (let p = 0; p < PHASES; p++) {
        const d = <f64>load<f32>(x + (<usize>p << 2)) - load<f64>(mrow + (<usize>p << 3));
        if (d != d) {
          store<u8>(nanPtr + <usize>c, 1);
          continue;
        }
        ss += d * d;
        n += 1;
      }
      store<f64>(ssPtr + at, load<f64>(ssPtr + at) + ss);
      store<f64>(nPtr + at, load<f64>(nPtr + at) + n);
    }
  }
}

/** RMSE of each cycle from the accumulators (NaN where a NaN met under 'propagate', or nothing counted). */
export function rmseEnd(cycles: i32, ignore: i32, ssPtr: usize, nPtr: usize, nanPtr: usize, outPtr: usize): void {
  for (let c = 0; c < cycles; c++) {
    const at = <usize>c << 3;
    const n = load<f64>(nPtr + at);
    const nan = load<u8>(nanPtr + <usize>c) != 0;
    store<f64>(outPtr + at, (nan && !ignore) || n == 0 ? NaN : Math.sqrt(load<f64>(ssPtr + at) / n));
  }
}

// ---------------------------------------------------------------------------------------------
// Whole-chunk statistics: co-moments (Gram products of shifted values), validation, key histograms.

/** Samples per Gram block: f32x4 lanes sum at most 64 products before they are flushed to float64. */
const GRAM_BLOCK: i32 = 256;

/**
 * Co-moments of `features` features of `n` samples each (`data`: features × n float32, no NaN) over
 * all samples: per feature the float64 mean (`oMean`), and per pair (a ≤ b, row order) the sum of
 * products of deviations from the means (`oGram`, float64, P = F(F+1)/2). `scratch` holds
 * features × GRAM_BLOCK float32.
 *
 * Values are shifted by their float32-rounded mean m; Gram products of the shifted values e are
 * summed in f32x4 lanes over blocks of 256 samples, then in float64; the exact co-moment is
 * Σ e_a e_b − n ē_a ē_b (ē: the mean of e, also summed in float64).
 */
export function gramFeatures(data: usize, features: i32, n: i32, scratch: usize, shift: usize, oMean: usize, oGram: usize): void {
  // Means in float64, and their float32 roundings as the shift.
  for (let f = 0; f < features; f++) {
    const x = data + ((<usize>f * <usize>n) << 2);
    let acc = f64x2.splat(0);
    let i: i32 = 0;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1))));
    }
    let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    for (; i < n; i++) sum += <f64>load<f32>(x + (<usize>i << 2));
    store<f32>(shift + (<usize>f << 2), <f32>(sum / <f64>n));
  }
  const P = (features * (features + 1)) >> 1;
  memory.fill(oGram, 0, <usize>P << 3);
  memory.fill(oMean, 0, <usize>features << 3);
  for (let start: i32 = 0; start < n; start += GRAM_BLOCK) {
    let m = n - start;
    if (m > GRAM_BLOCK) m = GRAM_BLOCK;
    const vectors = (m + 3) >> 2;
    // Shift the block into the scratch (a partial last vector is zero-padded), summing e per feature.
    for (let f = 0; f < features; f++) {
      const x = data + ((<usize>f * <usize>n + <usize>start) << 2);
      const row = scratch + ((<usize>f * <usize>GRAM_BLOCK) << 2);
      const k = f32x4.splat(load<f32>(shift + (<usize>f << 2)));
      let se = f32x4.splat(0);
      let i: i32 = 0;
      for (; i + 4 <= m; i += 4) {
        const e = f32x4.sub(v128.load(x + (<usize>i << 2)), k);
        v128.store(row + (<usize>i << 2), e);
        se = f32x4.add(se, e);
      }
      if (i < m) {
        v128.store(row + (<usize>i << 2), f32x4.splat(0));
        for (; i < m; i++) {
          const e = load<f32>(x + (<usize>i << 2)) - load<f32>(shift + (<usize>f << 2));
          store<f32>(row + (<usize>i << 2), e);
          se = f32x4.replace_lane(se, 0, f32x4.extract_lane(se, 0) + e);
        }
      }
      store<f64>(oMean + (<usize>f << 3), load<f64>(oMean + (<usize>f << 3)) + hsum(se));
    }
    // Upper-triangular Gram: each row a against four rows b at a time.
    let pair: i32 = 0;
    for (let a = 0; a < features; a++) {
      const ra = scratch + ((<usize>a * <usize>GRAM_BLOCK) << 2);
      let b = a;
      for (; b + 3 < features; b += 4) {
        const r0 = scratch + ((<usize>b * <usize>GRAM_BLOCK) << 2);
        const r1 = r0 + (<usize>GRAM_BLOCK << 2);
        const r2 = r1 + (<usize>GRAM_BLOCK << 2);
        const r3 = r2 + (<usize>GRAM_BLOCK << 2);
        let s0 = f32x4.splat(0);
        let s1 = f32x4.splat(0);
        let s2 = f32x4.splat(0);
        let s3 = f32x4.splat(0);
        for (let v = 0; v < vectors; v++) {
          const o = <usize>v << 4;
          const va = v128.load(ra + o);
          s0 = f32x4.add(s0, f32x4.mul(va, v128.load(r0 + o)));
          s1 = f32x4.add(s1, f32x4.mul(va, v128.load(r1 + o)));
          s2 = f32x4.add(s2, f32x4.mul(va, v128.load(r2 + o)));
          s3 = f32x4.add(s3, f32x4.mul(va, v128.load(r3 + o)));
        }
        const g = oGram + (<usize>pair << 3);
        store<f64>(g, load<f64>(g) + hsum(s0));
        store<f64>(g + 8, load<f64>(g + 8) + hsum(s1));
        store<f64>(g + 16, load<f64>(g + 16) + hsum(s2));
        store<f64>(g + 24, load<f64>(g + 24) + hsum(s3));
        pair += 4;
      }
      for (; b < features; b++) {
        const rb = scratch + ((<usize>b * <usize>GRAM_BLOCK) << 2);
        let s = f32x4.splat(0);
        for (let v = 0; v < vectors; v++) {
          const o = <usize>v << 4;
          s = f32x4.add(s, f32x4.mul(v128.load(ra + o), v128.load(rb + o)));
        }
        const g = oGram + (<usize>pair << 3);
        store<f64>(g, load<f64>(g) + hsum(s));
        pair++;
      }
    }
  }
  // Σ e → ē; co-moments about the exact means; means = shift + ē.
  pairFixup(features, <f64>n, shift, oMean, oGram);
}

/** From Σe per feature (in `oMean`) and Σ e_a e_b (in `oGram`): exact co-moments and means. */
function pairFixup(features: i32, n: f64, shift: usize, oMean: usize, oGram: usize): void {
  for (let f = 0; f < features; f++) {
    store<f64>(oMean + (<usize>f << 3), load<f64>(oMean + (<usize>f << 3)) / n);
  }
  let pair: i32 = 0;
  for (let a = 0; a < features; a++) {
    const ea = load<f64>(oMean + (<usize>a << 3));
    for (let b = a; b < features; b++) {
      const g = oGram + (<usize>pair << 3);
      store<f64>(g, load<f64>(g) - n * ea * load<f64>(oMean + (<usize>b << 3)));
      pair++;
    }
  }
  for (let f = 0; f < features; f++) {
    store<f64>(oMean + (<usize>f << 3), <f64>load<f32>(shift + (<usize>f << 2)) + load<f64>(oMean + (<usize>f << 3)));
  }
}

/**
 * Co-moments at each phase across `cycles` cycles (`data`: features × cycles × 150 float32, no NaN):
 * per (feature, phase) the float64 mean (`oMean`, `[feature][phase]`), and per phase and pair the sum
 * of products of deviations (`oGram`, `[phase][pair]` float64). `shift`: features × 152 float32 scratch
 * (slot layout), `acc`: 152 float64 scratch.
 */
export function gramPhases(data: usize, features: i32, cycles: i32, shift: usize, oMean: usize, oGram: usize): void {
  const P = (features * (features + 1)) >> 1;
  const tailMask = i32x4(0, 0, -1, -1);
  memory.fill(oGram, 0, (<usize>P * <usize>PHASES) << 3);
  memory.fill(oMean, 0, (<usize>features * <usize>PHASES) << 3);
  // Per (feature, phase): the float64 mean over cycles, rounded to float32 as the shift.
  for (let f = 0; f < features; f++) {
    const fdata = data + <usize>f * <usize>cycles * CYCLE_BYTES;
    const mrow = oMean + ((<usize>f * <usize>PHASES) << 3);
    for (let c = 0; c < cycles; c++) {
      const x = fdata + <usize>c * CYCLE_BYTES;
      for (let p = 0; p < PHASES; p++) {
        const at = mrow + (<usize>p << 3);
        store<f64>(at, load<f64>(at) + <f64>load<f32>(x + (<usize>p << 2)));
      }
    }
    const srow = shift + <usize>f * 152 * 4;
    for (let p = 0; p < PHASES; p++) {
      const at = mrow + (<usize>p << 3);
      const mean = load<f64>(at) / <f64>cycles;
      store<f64>(at, mean);
      store<f32>(srow + (slotOf(p) << 2), <f32>mean);
      if (p == 146 || p == 147) store<f32>(srow + (<usize>(p + 2) << 2), <f32>mean);
    }
  }
  // Per pair, 38 phase vectors, summed over cycles in f32x4 lanes (flushed every 64 cycles).
  // The shifted values e = x − m32 have a float32 mean ē ≠ 0 of order ε|m|: the fixup below uses
  // Σe_a e_b − n ē_a ē_b with ē from float64 sums.
  let pair: i32 = 0;
  for (let a = 0; a < features; a++) {
    const da = data + <usize>a * <usize>cycles * CYCLE_BYTES;
    const sa = shift + <usize>a * 152 * 4;
    for (let b = a; b < features; b++) {
      const db = data + <usize>b * <usize>cycles * CYCLE_BYTES;
      const sb = shift + <usize>b * 152 * 4;
      for (let j = 0; j < 38; j++) {
        const o: usize = j < 37 ? <usize>j << 4 : TAIL;
        const slot = o < TAIL ? o : TAIL_SLOT;
        const ka = v128.load(sa + slot);
        const kb = v128.load(sb + slot);
        let total = f64x2.splat(0);
        let total2 = f64x2.splat(0);
        let c0: i32 = 0;
        while (c0 < cycles) {
          let c1 = c0 + 64;
          if (c1 > cycles) c1 = cycles;
          let s = f32x4.splat(0);
          for (let c = c0; c < c1; c++) {
            const off = <usize>c * CYCLE_BYTES + o;
            const ea = f32x4.sub(v128.load(da + off), ka);
            const eb = f32x4.sub(v128.load(db + off), kb);
            s = f32x4.add(s, f32x4.mul(ea, eb));
          }
          if (o == TAIL) s = v128.and(s, tailMask);
          total = f64x2.add(total, f64x2.promote_low_f32x4(s));
          total2 = f64x2.add(total2, f64x2.promote_low_f32x4(f32x4.shuffle(s, s, 2, 3, 0, 1)));
          c0 = c1;
        }
        // Lanes hold phases o/4 .. o/4 + 3 (the tail: 146..149, of which 148, 149 are new).
        const p0 = <i32>(o < TAIL ? o >> 2 : 146);
        for (let lane = 0; lane < 4; lane++) {
          const p = p0 + lane;
          if (o == TAIL && lane < 2) continue;
          const v = lane == 0 ? f64x2.extract_lane(total, 0) : lane == 1 ? f64x2.extract_lane(total, 1) : lane == 2 ? f64x2.extract_lane(total2, 0) : f64x2.extract_lane(total2, 1);
          const g = oGram + ((<usize>p * <usize>P + <usize>pair) << 3);
          store<f64>(g, v);
        }
      }
      pair++;
    }
  }
  // ē per (feature, phase): mean(x) − m32, exactly in float64.
  const n = <f64>cycles;
  for (let p = 0; p < PHASES; p++) {
    let k: i32 = 0;
    for (let a = 0; a < features; a++) {
      const ea = load<f64>(oMean + ((<usize>a * <usize>PHASES + <usize>p) << 3)) - <f64>load<f32>(shift + <usize>a * 152 * 4 + (slotOf(p) << 2));
      for (let b = a; b < features; b++) {
        const eb = load<f64>(oMean + ((<usize>b * <usize>PHASES + <usize>p) << 3)) - <f64>load<f32>(shift + <usize>b * 152 * 4 + (slotOf(p) << 2));
        const g = oGram + ((<usize>p * <usize>P + <usize>k) << 3);
        store<f64>(g, load<f64>(g) - n * ea * eb);
        k++;
      }
    }
  }
}

/**
 * Validation flags of each cycle of one feature (`data`: cycles × 150 float32), OR-ed into `oReasons`
 * (u8 per cycle): kind 1 = angle (range, and jumps > 0.5236 between consecutive samples, in float64),
 * 2 = velocity, 3 = moment, 0 = other (`limit`: the largest float32 not above the range limit, so that
 * |x| > limit in float32 is |x| > the float64 limit); any kind flags non-finite samples (16).
 */
export function validateFeature(data: usize, cycles: i32, kind: i32, limit: f32, oReasons: usize): void {
  const absMask = i32x4.splat(0x7fffffff);
  const inf = f32x4.splat(Infinity);
  const lim = f32x4.splat(limit);
  const jump = f64x2.splat(0.5236);
  for (let c = 0; c < cycles; c++) {
    const x = data + <usize>c * CYCLE_BYTES;
    // Lanes: NaN or ±inf (|x| not < inf) flags non-finite; |x| > limit flags the range.
    let nonFinite = i32x4.splat(0);
    let range = i32x4.splat(0);
    let jumps = i32x4.splat(0);
    for (let j = 0; j < 38; j++) {
      const o: usize = j < 37 ? <usize>j << 4 : TAIL;
      const v = v128.load(x + o);
      const a = v128.and(v, absMask);
      nonFinite = v128.or(nonFinite, v128.not(f32x4.lt(a, inf)));
      range = v128.or(range, f32x4.gt(a, lim));
      if (kind == 1) {
        // x[p] − x[p − 1] in float64 for the vector's phases (the first phase has none before it).
        const prev = o > 0 ? v128.load(x + o - 4) : v;
        const d0 = f64x2.abs(f64x2.sub(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(prev)));
        const d1 = f64x2.abs(f64x2.sub(f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1)), f64x2.promote_low_f32x4(f32x4.shuffle(prev, prev, 2, 3, 0, 1))));
        jumps = v128.or(jumps, v128.or(f64x2.gt(d0, jump), f64x2.gt(d1, jump)));
        if (o == 0) {
          // Phases 1..3 against 0..2.
          for (let p = 1; p < 4; p++) {
            const d = Math.abs(<f64>load<f32>(x + (<usize>p << 2)) - <f64>load<f32>(x + (<usize>(p - 1) << 2)));
            if (d > 0.5236) jumps = i32x4.splat(-1);
          }
        }
      }
    }
    let flags: u8 = 0;
    if (v128.any_true(nonFinite)) flags |= 16;
    if (kind == 1) {
      if (v128.any_true(range)) flags |= 1;
      if (v128.any_true(jumps)) flags |= 2;
    } else if (kind == 2) {
      if (v128.any_true(range)) flags |= 4;
    } else if (kind == 3) {
      if (v128.any_true(range)) flags |= 8;
    }
    store<u8>(oReasons + <usize>c, load<u8>(oReasons + <usize>c) | flags);
  }
}

/**
 * Level-0 histogram of order-preserving keys (top 12 bits) of `n` float32 samples at `data`, added
 * into `counts` (4096 u32); returns the NaN samples.
 */
export function keyHistogram0(data: usize, n: i32, counts: usize): i32 {
  let nan: i32 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const bits = load<u32>(data + (<usize>i << 2));
    if ((bits & 0x7fffffff) > 0x7f800000) {
      nan++;
      continue;
    }
    const key = bits & 0x80000000 ? ~bits : bits | 0x80000000;
    const at = counts + (<usize>(key >>> 20) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  return nan;
}

/**
 * Level-1 or -2 histogram: samples whose key's top bits (above `shift + width`) equal one of the
 * `prefixCount` sorted prefixes at `prefixes` (u32) count in that prefix's histogram of
 * `(key >>> shift) & mask` (`counts`: prefixCount × (mask + 1) u32).
 */
export function keyHistogramUnder(data: usize, n: i32, shift: u32, width: u32, prefixes: usize, prefixCount: i32, counts: usize): void {
  const mask: u32 = (1 << width) - 1;
  const up = shift + width;
  for (let i: i32 = 0; i < n; i++) {
    const bits = load<u32>(data + (<usize>i << 2));
    if ((bits & 0x7fffffff) > 0x7f800000) continue;
    const key = bits & 0x80000000 ? ~bits : bits | 0x80000000;
    const top = key >>> up;
    for (let j = 0; j < prefixCount; j++) {
      if (load<u32>(prefixes + (<usize>j << 2)) == top) {
        const at = counts + ((<usize>j * (<usize>mask + 1) + <usize>((key >>> shift) & mask)) << 2);
        store<u32>(at, load<u32>(at) + 1);
        break;
      }
    }
  }
}

const HIST: usize = memory.data(4096 * 4, 16);
/** Four interleaved histograms: consecutive samples of a smooth signal fall in the same bin, and one
 * histogram would make each increment wait for the previous one. */
const HIST4: usize = memory.data(4 * 4096 * 4, 16);
const WANTED: usize = memory.data(4096, 16);
const RANKS: usize = memory.data(8 * 4, 16);
const KEYS: usize = memory.data(8 * 4, 16);

// @ts-ignore: decorator
@inline function keyOf(bits: u32): u32 {
  return bits & 0x80000000 ? ~bits : bits | 0x80000000;
}

// @ts-ignore: decorator
@inline function valueOfKey(key: u32): f64 {
  return <f64>reinterpret<f32>(key & 0x80000000 ? key & 0x7fffffff : ~key);
}

/** Put the k-th smallest of `a[left..right]` (u32) at `a[k]`, smaller ones left of it (Hoare). */
function selectKey(a: usize, k: i32, left: i32, right: i32): void {
  while (right > left) {
    const middle = (left + right) >>> 1;
    const x = load<u32>(a + (<usize>left << 2));
    const y = load<u32>(a + (<usize>middle << 2));
    const z = load<u32>(a + (<usize>right << 2));
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (load<u32>(a + (<usize>i << 2)) < pivot) i++;
      while (load<u32>(a + (<usize>j << 2)) > pivot) j--;
      if (i <= j) {
        const t = load<u32>(a + (<usize>i << 2));
        store<u32>(a + (<usize>i << 2), load<u32>(a + (<usize>j << 2)));
        store<u32>(a + (<usize>j << 2), t);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/**
 * Exact quartiles and median (numpy's linear interpolation) of each of `features` slabs of `n` float32
 * samples (`data`: features × n), into `out` (features × 3 float64: q25, median, q75). A histogram of
 * the keys' top 12 bits finds the bins of the six ranks around the quantiles; only the samples in those
 * bins are gathered (`scratch`: n u32) and selected exactly. NaN: with `propagate`, any NaN makes the
 * feature's quantiles NaN; otherwise NaN samples are left out.
 */
export function groupQuantiles(data: usize, features: i32, n: i32, propagate: i32, scratch: usize, out: usize): void {
  for (let f = 0; f < features; f++) {
    const slab = data + ((<usize>f * <usize>n) << 2);
    const o = out + <usize>f * 24;
    memory.fill(HIST4, 0, 4 * 4096 * 4);
    let nan: i32 = 0;
    let i: i32 = 0;
    for (; i + 4 <= n; i += 4) {
      for (let lane = 0; lane < 4; lane++) {
        const bits = load<u32>(slab + (<usize>(i + lane) << 2));
        if ((bits & 0x7fffffff) > 0x7f800000) {
          nan++;
          continue;
        }
        const at = HIST4 + (<usize>lane << 14) + (<usize>(keyOf(bits) >>> 20) << 2);
        store<u32>(at, load<u32>(at) + 1);
      }
    }
    for (; i < n; i++) {
      const bits = load<u32>(slab + (<usize>i << 2));
      if ((bits & 0x7fffffff) > 0x7f800000) {
        nan++;
        continue;
      }
      const at = HIST4 + (<usize>(keyOf(bits) >>> 20) << 2);
      store<u32>(at, load<u32>(at) + 1);
    }
    for (let bin: usize = 0; bin < 4096 * 4; bin += 16) {
      const sum = i32x4.add(i32x4.add(v128.load(HIST4 + bin), v128.load(HIST4 + 16384 + bin)), i32x4.add(v128.load(HIST4 + 32768 + bin), v128.load(HIST4 + 49152 + bin)));
      v128.store(HIST + bin, sum);
    }
    const m = n - nan;
    if (m == 0 || (nan > 0 && propagate)) {
      store<f64>(o, NaN);
      store<f64>(o + 8, NaN);
      store<f64>(o + 16, NaN);
      continue;
    }
    // The six ranks, ascending: floor(q(m − 1)) and the one after, for q = 1/4, 1/2, 3/4.
    for (let k = 0; k < 3; k++) {
      const position = (<f64>(k + 1) * 0.25) * <f64>(m - 1);
      const lower = <i32>Math.floor(position);
      store<i32>(RANKS + (<usize>(2 * k) << 2), lower);
      store<i32>(RANKS + (<usize>(2 * k + 1) << 2), lower + 1 < m ? lower + 1 : m - 1);
    }
    // Their bins: mark them; the samples before each wanted bin among the wanted ones give its offset.
    memory.fill(WANTED, 0, 4096);
    let cumulative: i32 = 0;
    let r = 0;
    for (let bin = 0; bin < 4096 && r < 6; bin++) {
      const c = <i32>load<u32>(HIST + (<usize>bin << 2));
      while (r < 6 && load<i32>(RANKS + (<usize>r << 2)) < cumulative + c) {
        store<u8>(WANTED + <usize>bin, 1);
        r++;
      }
      cumulative += c;
    }
    // Rank among the gathered samples = rank − samples in unwanted bins below it.
    let gatheredBelow: i32 = 0;
    cumulative = 0;
    r = 0;
    for (let bin = 0; bin < 4096 && r < 6; bin++) {
      const c = <i32>load<u32>(HIST + (<usize>bin << 2));
      const wanted = load<u8>(WANTED + <usize>bin) != 0;
      while (r < 6 && load<i32>(RANKS + (<usize>r << 2)) < cumulative + c) {
        const rank = load<i32>(RANKS + (<usize>r << 2));
        store<i32>(RANKS + (<usize>r << 2), gatheredBelow + (rank - cumulative));
        r++;
      }
      if (wanted) gatheredBelow += c;
      cumulative += c;
    }
    let g: i32 = 0;
    for (let i = 0; i < n; i++) {
      const bits = load<u32>(slab + (<usize>i << 2));
      if ((bits & 0x7fffffff) > 0x7f800000) continue;
      const key = keyOf(bits);
      if (load<u8>(WANTED + <usize>(key >>> 20)) != 0) {
        store<u32>(scratch + (<usize>g << 2), key);
        g++;
      }
    }
    // Ascending ranks: each selection narrows the next one's range.
    let left: i32 = 0;
    for (let k = 0; k < 6; k++) {
      const rank = load<i32>(RANKS + (<usize>k << 2));
      if (rank >= left) {
        selectKey(scratch, rank, left, g - 1);
        left = rank;
      }
      store<u32>(KEYS + (<usize>k << 2), load<u32>(scratch + (<usize>rank << 2)));
      // The ranks after it within [left, g) are ≥ it: selecting the next rank from `left` stays exact.
    }
    for (let k = 0; k < 3; k++) {
      const position = (<f64>(k + 1) * 0.25) * <f64>(m - 1);
      const lower = Math.floor(position);
      const a = valueOfKey(load<u32>(KEYS + (<usize>(2 * k) << 2)));
      const b = valueOfKey(load<u32>(KEYS + (<usize>(2 * k + 1) << 2)));
      store<f64>(o + (<usize>k << 3), a + (b - a) * (position - lower));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shape of each cycle: skewness, kurtosis (scipy's defaults) and the dominant frequency.

const BINS: i32 = 74;
/** (cos, sin) of 2π k p / 150, k = 1 … 74, p = 0 … 149: f64 pairs, one v128 each. */
const TWIDDLE: usize = memory.data(74 * 150 * 16, 16);
/** One cycle's deviations from its mean (missing samples: 0), f64. */
const DEVIATIONS: usize = memory.data(150 * 8, 16);
let twiddled = false;

function fillTwiddles(): void {
  for (let k = 1; k <= BINS; k++) {
    for (let p = 0; p < PHASES; p++) {
      const angle = (2 * Math.PI * <f64>((k * p) % PHASES)) / <f64>PHASES;
      const at = TWIDDLE + ((<usize>(k - 1) * 150 + <usize>p) << 4);
      store<f64>(at, Math.cos(angle));
      store<f64>(at + 8, Math.sin(angle));
    }
  }
  twiddled = true;
}

/**
 * Skewness, kurtosis (biased, Fisher; NaN for a constant cycle) and dominant frequency
 * (argmax over DFT bins 1 … 74 of |X_k|, ÷ 150) of `cycles` consecutive cycles at `data`, as the
 * reference computes them. The DFT stops once the best bin's power exceeds the power left in the
 * bins not yet computed (Parseval: they sum to (150 Σe² − X₇₅²) / 2), which a gait cycle reaches
 * after a few bins; each bin's sums run in the reference's order, so the powers are the same.
 */
export function cycleShape(data: usize, cycles: i32, ignore: i32, oSkew: usize, oKurt: usize, oFreq: usize): void {
  if (!twiddled) fillTwiddles();
  for (let c = 0; c < cycles; c++) {
    const x = data + <usize>c * CYCLE_BYTES;
    const out = <usize>c << 3;
    let n: i32 = 0;
    let sum: f64 = 0;
    let hasNan = false;
    for (let p = 0; p < PHASES; p++) {
      const v = <f64>load<f32>(x + (<usize>p << 2));
      if (v != v) {
        hasNan = true;
      } else {
        n++;
        sum += v;
      }
    }
    if (n == 0) {
      store<f64>(oSkew + out, NaN);
      store<f64>(oKurt + out, NaN);
      store<f64>(oFreq + out, NaN);
      continue;
    }
    if (hasNan && !ignore) {
      store<f64>(oSkew + out, NaN);
      store<f64>(oKurt + out, NaN);
      store<f64>(oFreq + out, 1.0 / <f64>PHASES);
      continue;
    }
    const mean = sum / <f64>n;
    let m2: f64 = 0;
    let m3: f64 = 0;
    let m4: f64 = 0;
    let x75: f64 = 0;
    for (let p = 0; p < PHASES; p++) {
      const v = <f64>load<f32>(x + (<usize>p << 2));
      const d = v == v ? v - mean : 0.0;
      store<f64>(DEVIATIONS + (<usize>p << 3), d);
      const d2 = d * d;
      m2 += d2;
      m3 += d2 * d;
      m4 += d2 * d2;
      x75 += p & 1 ? -d : d;
    }
    const energy = m2;
    m2 /= <f64>n;
    m3 /= <f64>n;
    m4 /= <f64>n;
    const constant = m2 <= (1e-15 * mean) * (1e-15 * mean);
    store<f64>(oSkew + out, constant ? NaN : m3 / (m2 * Math.sqrt(m2)));
    store<f64>(oKurt + out, constant ? NaN : m4 / (m2 * m2) - 3.0);
    const total = (<f64>PHASES * energy - x75 * x75) * 0.5;
    let left = total;
    let best: f64 = -1;
    let bestK: i32 = 1;
    for (let k = 1; k <= BINS; k++) {
      let acc = f64x2.splat(0);
      const row = TWIDDLE + (<usize>(k - 1) * 150 << 4);
      for (let p = 0; p < PHASES; p++) {
        acc = f64x2.add(acc, f64x2.mul(f64x2.splat(load<f64>(DEVIATIONS + (<usize>p << 3))), v128.load(row + (<usize>p << 4))));
      }
      const re = f64x2.extract_lane(acc, 0);
      const im = f64x2.extract_lane(acc, 1);
      const power = re * re + im * im;
      if (power > best) {
        best = power;
        bestK = k;
      }
      left -= power;
      if (best > left + 1e-9 * total) break;
    }
    store<f64>(oFreq + out, <f64>bestK / <f64>PHASES);
  }
}
