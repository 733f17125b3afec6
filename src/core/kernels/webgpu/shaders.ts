/**
 * WGSL compute shaders of the WebGPU backend.
 *
 * #### Notes
 * The tensor is `data[(f * C + c) * 150 + p]` (f32). Every invocation owns one output cell and
 * loops serially over its samples (two-pass mean and squared deviations in f32, the sums taken
 * relative to the first value so that an offset such as 100 ± 0.01 keeps its digits), so results are
 * deterministic: no atomics, no order-dependent float sums. Partial moments per chunk of cycles
 * or samples go back to the CPU, which merges them exactly in float64 (Chan's update) — the same
 * merge the worker pool uses. Long serial loops also suit software adapters (SwiftShader), which
 * punish many barrier-heavy workgroups. NaN is detected on the bits (compilers may fold `x != x`).
 * Invocation indices span a 2-D grid of workgroups: `index = id.x + id.y * params.rowStride`.
 */

/** Invocations per workgroup of every shader (within the compatibility-mode limit of 128). */
export const WORKGROUP_SIZE = 64;

const COMMON = /* wgsl */ `
const PHASES: u32 = 150u;

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Kahan's compensated sum: (sum, compensation) + x.
fn kahan(acc: vec2<f32>, x: f32) -> vec2<f32> {
  let y = x - acc.y;
  let t = acc.x + y;
  return vec2<f32>(t, (t - acc.x) - y);
}

// A NaN made from a runtime value: WGSL rejects a constant NaN.
fn nan_from(runtime: u32) -> f32 {
  return bitcast<f32>(0x7fc00000u | (runtime & 0u));
}
`;

/** Cycles per workgroup tile of the per-cycle shader (16 × 150 f32 = 9.6 kB of workgroup memory). */
export const PER_CYCLE_TILE = 16;

/**
 * Per-cycle features of each (feature, cycle): mean, SD (ddof), min, max, ROM, peak timing,
 * skewness, kurtosis and the dominant frequency.
 * A workgroup loads a tile of 16 consecutive cycles of one feature into workgroup memory with
 * coalesced reads (neighbouring invocations read neighbouring samples), then one invocation per
 * cycle reduces its 150 samples from there. Output `out[k * F * C + f * C + c]` for k = 0..8
 * (mean, SD, min, max, ROM, peak timing, skewness, kurtosis, dominant frequency).
 */
export const PER_CYCLE = /* wgsl */ `
${COMMON}
const TILE: u32 = ${PER_CYCLE_TILE}u;
struct Params { features: u32, cycles: u32, ignoreNan: u32, ddof: u32, rowStride: u32, _a: u32, _b: u32, _c: u32 };
@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> tile: array<f32, ${PER_CYCLE_TILE * 150}>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let tiles = (params.cycles + TILE - 1u) / TILE;
  let index = group.x + group.y * groups.x;
  // Uniform per workgroup: every invocation of a group leaves together or reaches the barrier.
  if (index >= params.features * tiles) {
    return;
  }
  let f = index / tiles;
  let c0 = (index % tiles) * TILE;
  let count = min(TILE, params.cycles - c0);
  let start = (f * params.cycles + c0) * PHASES;
  for (var i = lane; i < count * PHASES; i += ${WORKGROUP_SIZE}u) {
    tile[i] = data[start + i];
  }
  workgroupBarrier();
  if (lane >= count) {
    return;
  }
  let base = lane * PHASES;
  let total = params.features * params.cycles;
  let cell = f * params.cycles + c0 + lane;
  var n = 0u;
  var sum = 0.0;
  var lo = 0.0;
  var hi = 0.0;
  var peak = 0u;
  var peakAbs = -1.0;
  var firstNan = PHASES;
  var shift = 0.0;
  for (var p = 0u; p < PHASES; p++) {
    let v = tile[base + p];
    if (is_nan(v)) {
      if (firstNan == PHASES) {
        firstNan = p;
      }
      continue;
    }
    if (n == 0u) { shift = v; }
    if (n == 0u || v < lo) { lo = v; }
    if (n == 0u || v > hi) { hi = v; }
    if (abs(v) > peakAbs) {
      peakAbs = abs(v);
      peak = p;
    }
    n++;
    sum += v - shift;
  }
  var mean = nan_from(params.features);
  var sd = nan_from(params.features);
  var mn = nan_from(params.features);
  var mx = nan_from(params.features);
  var rom = nan_from(params.features);
  var timing = nan_from(params.features);
  var skew = nan_from(params.features);
  var kurt = nan_from(params.features);
  var frequency = nan_from(params.features);
  let poisoned = firstNan < PHASES && params.ignoreNan == 0u;
  if (poisoned) {
    timing = f32(firstNan) / f32(PHASES);
    // numpy's FFT of a cycle with NaN is NaN; its argmax is the first bin.
    frequency = 1.0 / f32(PHASES);
  } else if (n > 0u) {
    let offset = sum / f32(n);
    mean = shift + offset;
    var ss = 0.0;
    var s3 = 0.0;
    var s4 = 0.0;
    var x75 = 0.0;
    for (var p = 0u; p < PHASES; p++) {
      let v = tile[base + p];
      if (!is_nan(v)) {
        let d = (v - shift) - offset;
        let d2 = d * d;
        ss += d2;
        s3 += d2 * d;
        s4 += d2 * d2;
        x75 += select(d, -d, (p & 1u) == 1u);
      }
    }
    if (n > params.ddof) {
      sd = sqrt(ss / f32(n - params.ddof));
    }
    mn = lo;
    mx = hi;
    rom = hi - lo;
    timing = f32(peak) / f32(PHASES);
    // Skewness and kurtosis as scipy's defaults (biased, Fisher); NaN for a constant cycle.
    let m2 = ss / f32(n);
    if (m2 > 0.0) {
      skew = (s3 / f32(n)) / (m2 * sqrt(m2));
      kurt = (s4 / f32(n)) / (m2 * m2) - 3.0;
    }
    // The dominant DFT bin among 1 … 74 (missing samples count as the mean), stopping once the best
    // bin's power is above all the power left (Parseval), with a margin for float32.
    let energyTotal = (f32(PHASES) * ss - x75 * x75) * 0.5;
    var left = energyTotal;
    var best = -1.0;
    var bestK = 1u;
    for (var k = 1u; k <= 74u; k++) {
      var re = 0.0;
      var im = 0.0;
      for (var p = 0u; p < PHASES; p++) {
        let v = tile[base + p];
        if (!is_nan(v)) {
          let d = (v - shift) - offset;
          let angle = 6.283185307179586 * f32((k * p) % PHASES) / f32(PHASES);
          re += d * cos(angle);
          im += d * sin(angle);
        }
      }
      let power = re * re + im * im;
      if (power > best) {
        best = power;
        bestK = k;
      }
      left -= power;
      if (best > left + 1e-3 * energyTotal) {
        break;
      }
    }
    frequency = f32(bestK) / f32(PHASES);
  }
  out[0u * total + cell] = mean;
  out[1u * total + cell] = sd;
  out[2u * total + cell] = mn;
  out[3u * total + cell] = mx;
  out[4u * total + cell] = rom;
  out[5u * total + cell] = timing;
  out[6u * total + cell] = skew;
  out[7u * total + cell] = kurt;
  out[8u * total + cell] = frequency;
}
`;

/**
 * Moments over a chunk of cycles at each (feature, phase): count, shift, mean − shift, M2, NaN
 * flag (the mean in two parts, so the CPU merge keeps the digits an f32 mean of 100.00x loses).
 * Invocation (chunk, f, p); output `out[((chunk * F + f) * 150 + p) * 5 + k]`.
 */
export const PATTERN_MOMENTS = /* wgsl */ `
${COMMON}
struct Params { features: u32, cycles: u32, chunkCycles: u32, chunks: u32, rowStride: u32, _a: u32, _b: u32, _c: u32 };
@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * params.rowStride;
  let cells = params.features * PHASES;
  if (index >= cells * params.chunks) {
    return;
  }
  let chunk = index / cells;
  let cell = index % cells;
  let f = cell / PHASES;
  let p = cell % PHASES;
  let c0 = chunk * params.chunkCycles;
  let c1 = min(params.cycles, c0 + params.chunkCycles);
  var n = 0u;
  var sum = 0.0;
  var nan = 0.0;
  var shift = 0.0;
  for (var c = c0; c < c1; c++) {
    let v = data[(f * params.cycles + c) * PHASES + p];
    if (is_nan(v)) {
      nan = 1.0;
    } else {
      if (n == 0u) { shift = v; }
      n++;
      sum += v - shift;
    }
  }
  var offset = 0.0;
  var m2 = 0.0;
  if (n > 0u) {
    offset = sum / f32(n);
    for (var c = c0; c < c1; c++) {
      let v = data[(f * params.cycles + c) * PHASES + p];
      if (!is_nan(v)) {
        let d = (v - shift) - offset;
        m2 += d * d;
      }
    }
  }
  let o = index * 5u;
  out[o] = f32(n);
  out[o + 1u] = shift;
  out[o + 2u] = offset;
  out[o + 3u] = m2;
  out[o + 4u] = nan;
}
`;

/**
 * Squared deviations from the mean pattern per (cycle, feature): sum, count, NaN flag.
 * Output `out[(c * F + f) * 3 + k]`.
 */
export const RMSE_PARTS = /* wgsl */ `
${COMMON}
struct Params { features: u32, cycles: u32, rowStride: u32, _a: u32 };
@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> meanPattern: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * params.rowStride;
  if (index >= params.features * params.cycles) {
    return;
  }
  let c = index / params.features;
  let f = index % params.features;
  let base = (f * params.cycles + c) * PHASES;
  var ss = 0.0;
  var n = 0u;
  var nan = 0.0;
  for (var p = 0u; p < PHASES; p++) {
    let d = data[base + p] - meanPattern[f * PHASES + p];
    if (is_nan(d)) {
      nan = 1.0;
    } else {
      ss += d * d;
      n++;
    }
  }
  out[index * 3u] = ss;
  out[index * 3u + 1u] = f32(n);
  out[index * 3u + 2u] = nan;
}
`;

/**
 * LocoHub's validation flags per (feature, cycle); kinds: 0 none, 1 angle, 2 velocity, 3 moment.
 * Flags: 1 angle range, 2 angle jump, 4 velocity, 8 moment, 16 non-finite.
 */
export const VALIDATION = /* wgsl */ `
${COMMON}
struct Params { features: u32, cycles: u32, rowStride: u32, _a: u32, angle: f32, jump: f32, velocity: f32, moment: f32 };
@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> kinds: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * params.rowStride;
  if (index >= params.features * params.cycles) {
    return;
  }
  let f = index / params.cycles;
  let kind = kinds[f];
  let base = index * PHASES;
  var flags = 0u;
  for (var p = 0u; p < PHASES; p++) {
    let v = data[base + p];
    if (!is_finite(v)) {
      flags |= 16u;
    }
    if (kind == 1u) {
      if (v < -params.angle || v > params.angle) { flags |= 1u; }
      if (p > 0u && abs(v - data[base + p - 1u]) > params.jump) { flags |= 2u; }
    } else if (kind == 2u) {
      if (abs(v) > params.velocity) { flags |= 4u; }
    } else if (kind == 3u) {
      if (abs(v) > params.moment) { flags |= 8u; }
    }
  }
  out[index] = flags;
}
`;

/**
 * Co-moments of a pair of features over a chunk of "rows": rows are all samples (feature
 * correlations: row r of feature a is data[a * rowsPerFeature + r]) or the cycles at one phase
 * (phase correlations: row c of feature a at phase p is data[(a * C + c) * 150 + p]).
 * Invocation (chunk, slot, pair) where slot is the phase (or 0); output 9 floats: n, shift a,
 * mean a − shift a, shift b, mean b − shift b, C_aa, C_bb, C_ab, NaN flag (pairs with a NaN are
 * skipped; the flag says one was met).
 */
export const CO_MOMENTS = /* wgsl */ `
${COMMON}
struct Params { pairs: u32, slots: u32, chunks: u32, chunkRows: u32, rows: u32, rowStep: u32, featureStep: u32, slotStep: u32, rowStride: u32, _a: u32, _b: u32, _c: u32 };
@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> pairs: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * params.rowStride;
  if (index >= params.pairs * params.slots * params.chunks) {
    return;
  }
  let pair = index % params.pairs;
  let slot = (index / params.pairs) % params.slots;
  let chunk = index / (params.pairs * params.slots);
  let a = pairs[pair].x;
  let b = pairs[pair].y;
  let baseA = a * params.featureStep + slot * params.slotStep;
  let baseB = b * params.featureStep + slot * params.slotStep;
  let r0 = chunk * params.chunkRows;
  let r1 = min(params.rows, r0 + params.chunkRows);
  var n = 0u;
  var sa = vec2<f32>(0.0, 0.0);
  var sb = vec2<f32>(0.0, 0.0);
  var nan = 0.0;
  var shiftA = 0.0;
  var shiftB = 0.0;
  for (var r = r0; r < r1; r++) {
    let x = data[baseA + r * params.rowStep];
    let y = data[baseB + r * params.rowStep];
    if (is_nan(x) || is_nan(y)) {
      nan = 1.0;
      continue;
    }
    if (n == 0u) {
      shiftA = x;
      shiftB = y;
    }
    n++;
    sa = kahan(sa, x - shiftA);
    sb = kahan(sb, y - shiftB);
  }
  var offA = 0.0;
  var offB = 0.0;
  var caa = vec2<f32>(0.0, 0.0);
  var cbb = vec2<f32>(0.0, 0.0);
  var cab = vec2<f32>(0.0, 0.0);
  if (n > 0u) {
    offA = sa.x / f32(n);
    offB = sb.x / f32(n);
    for (var r = r0; r < r1; r++) {
      let x = data[baseA + r * params.rowStep];
      let y = data[baseB + r * params.rowStep];
      if (is_nan(x) || is_nan(y)) {
        continue;
      }
      let dx = (x - shiftA) - offA;
      let dy = (y - shiftB) - offB;
      caa = kahan(caa, dx * dx);
      cbb = kahan(cbb, dy * dy);
      cab = kahan(cab, dx * dy);
    }
  }
  let o = index * 9u;
  out[o] = f32(n);
  out[o + 1u] = shiftA;
  out[o + 2u] = offA;
  out[o + 3u] = shiftB;
  out[o + 4u] = offB;
  out[o + 5u] = caa.x;
  out[o + 6u] = cbb.x;
  out[o + 7u] = cab.x;
  out[o + 8u] = nan;
}
`;
