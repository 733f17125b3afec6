/**
 * The WebAssembly SIMD kernels against the reference backend (the oracle) on seeded pseudo-random
 * data: every output within 1e-5 relative (absolute floor 1e-5 × the feature's max |x|), NaN where
 * the reference has NaN, min/max/ROM/peak timing and pattern counts/NaN flags exactly.
 */
import { correlationsOfMoments } from '../../co-moments';
import { subTensor } from '../../backends';
import { addKeyHistogram, floatKey, keyValue, quantileRanks, radixBins, RankSelection } from '../../radix-select';
import {
  correlations,
  cycleRmse,
  finalizePatterns,
  mergePatternPartials,
  patternPartial,
  perCycleFeatures,
  quantileSorted,
  validateCycles
} from '../../reference';
import { PHASES, type ICycleTensor, type IKernelOptions, type IPatternPartial, type IPerCycleFeatures } from '../../types';
import { loadWasmKernels, wasmSimdSupported, type WasmKernels } from '../wasm-kernels';

const TOLERANCE = 1e-5;

/** mulberry32: a tiny seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'gait' | 'offset' | 'constant' | 'ties' | 'spikes' | 'drift' | 'first-outlier';

interface IDataSpec {
  cycles: number;
  features: number;
  kind: Kind;
  seed: number;
  /** Fraction of samples set to NaN at random. */
  nanRate?: number;
  /** Also add a whole NaN cycle, a NaN phase across every cycle and an all-NaN feature. */
  nanShapes?: boolean;
}

function makeTensor(spec: IDataSpec): ICycleTensor {
  const { cycles: C, features: F, kind } = spec;
  const random = prng(spec.seed);
  const data = new Float32Array(F * C * PHASES);
  for (let f = 0; f < F; f++) {
    const offset = (random() - 0.5) * 200;
    const amplitude = 0.1 + random() * 60;
    for (let c = 0; c < C; c++) {
      const shift = random() * 0.3;
      const level = random() - 0.5;
      for (let p = 0; p < PHASES; p++) {
        const t = (2 * Math.PI * p) / PHASES;
        let v: number;
        switch (kind) {
          case 'gait':
            v = offset + amplitude * Math.sin(t + shift) + 0.3 * amplitude * Math.sin(2 * t) + (random() - 0.5) * 0.05 * amplitude;
            break;
          case 'offset':
            // 100 ± 0.01 (and −100 ± 0.01 on odd features): float32's resolution there is 7.6e-6.
            v = (f % 2 ? -100 : 100) + (random() - 0.5) * 0.02 + 0.005 * Math.sin(t);
            break;
          case 'constant':
            // Every other cycle constant; the rest near a constant.
            v = c % 2 ? offset + level : offset + level + (random() - 0.5) * 1e-3;
            break;
          case 'ties':
            // Few distinct magnitudes, both signs: many ties of |x|.
            v = (Math.round(random() * 4) - 2) * 0.5;
            break;
          case 'spikes':
            v = random() < 0.01 ? (random() < 0.5 ? -1 : 1) * 1e4 : offset + random();
            break;
          case 'first-outlier':
            // The cycle's first sample far from the rest (the kernel's float32 shift is x[0]).
            v = p === 0 ? offset + 50 * amplitude : offset + level * 1e-3 + (random() - 0.5) * 1e-2;
            break;
          case 'drift':
            // A slow drift over cycles, far larger than the within-cycle spread.
            v = 1000 + c * 0.5 + Math.sin(t) * 0.01 + random() * 1e-3;
            break;
        }
        data[(f * C + c) * PHASES + p] = v;
      }
    }
  }
  if (spec.nanRate) {
    for (let i = 0; i < data.length; i++) {
      if (random() < spec.nanRate) {
        data[i] = NaN;
      }
    }
  }
  if (spec.nanShapes && F >= 2 && C >= 2) {
    const nanCycle = Math.floor(random() * C);
    data.fill(NaN, nanCycle * PHASES, (nanCycle + 1) * PHASES);
    const nanPhase = Math.floor(random() * PHASES);
    for (let c = 0; c < C; c++) {
      data[(1 * C + c) * PHASES + nanPhase] = NaN;
    }
    data.fill(NaN, (F - 1) * C * PHASES, F * C * PHASES);
  }
  return { features: Array.from({ length: F }, (_, f) => `feature_${f}`), cycles: C, data };
}

/** Max |x| of each feature over its non-NaN samples (the floor of the tolerance). */
function featureScale(tensor: ICycleTensor): Float64Array {
  const F = tensor.features.length;
  const per = tensor.cycles * PHASES;
  const out = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let m = 0;
    for (let i = f * per; i < (f + 1) * per; i++) {
      const a = Math.abs(tensor.data[i]);
      if (a > m) {
        m = a;
      }
    }
    out[f] = m;
  }
  return out;
}

/**
 * Largest errors seen per quantity, printed after the tests: `relative` = |a − e| / |e| (no floor, over
 * |e| ≥ 1e-3 × the floor so that values that are zero up to rounding are left out), `normalized` =
 * |a − e| / max(|e|, floor), the quantity the tolerance bounds.
 */
const worst = new Map<string, { relative: number; normalized: number }>();

function record(what: string, relative: number, normalized: number): void {
  const key = /(partial mean|partial sqrt\(m2\/n\)|pattern mean|pattern std|rmse|mean|std)$/.exec(what)?.[1] ?? what;
  const entry = worst.get(key) ?? { relative: 0, normalized: 0 };
  entry.relative = Math.max(entry.relative, relative);
  entry.normalized = Math.max(entry.normalized, normalized);
  worst.set(key, entry);
}

/**
 * Expects `actual` to match `expected` element-wise: NaN where NaN, else within TOLERANCE × max(|expected|,
 * floor(i)). `exact` demands equality (values picked from the data, indices).
 */
function expectClose(actual: Float64Array, expected: Float64Array, what: string, floor: (i: number) => number, exact = false): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (e !== e || a !== a) {
      if (e === e || a === a) {
        throw new Error(`${what}[${i}]: got ${a}, expected ${e}`);
      }
      continue;
    }
    if (exact) {
      if (a !== e) {
        throw new Error(`${what}[${i}]: got ${a}, expected exactly ${e}`);
      }
      continue;
    }
    const error = Math.abs(a - e);
    const scale = Math.max(Math.abs(e), floor(i));
    const normalized = scale > 0 ? error / scale : error;
    const relative = Math.abs(e) >= 1e-3 * floor(i) && e !== 0 ? error / Math.abs(e) : 0;
    record(what, relative, normalized);
    if (!(normalized <= TOLERANCE)) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (error ${error}, ${normalized} of the scale ${scale})`);
    }
  }
}

/** A reference per-cycle array restricted to cycles [from, to), as the wasm kernel lays it out. */
function sliceCycles(values: Float64Array, F: number, C: number, from: number, to: number): Float64Array {
  const n = to - from;
  const out = new Float64Array(F * n);
  for (let f = 0; f < F; f++) {
    out.set(values.subarray(f * C + from, f * C + to), f * n);
  }
  return out;
}

function comparePerCycle(
  actual: IPerCycleFeatures,
  expected: IPerCycleFeatures,
  tensor: ICycleTensor,
  scale: Float64Array,
  from: number,
  to: number,
  label: string
): void {
  const F = tensor.features.length;
  const n = to - from;
  const floor = (i: number) => scale[Math.floor(i / n)];
  for (const key of ['mean', 'std', 'min', 'max', 'rom', 'peakTiming'] as const) {
    const exact = key === 'min' || key === 'max' || key === 'rom' || key === 'peakTiming';
    expectClose(actual[key], sliceCycles(expected[key], F, tensor.cycles, from, to), `${label} ${key}`, floor, exact);
  }
}

function comparePartial(actual: IPatternPartial, expected: IPatternPartial, scale: Float64Array, label: string): void {
  const floor = (i: number) => scale[Math.floor(i / PHASES)];
  expect(actual.features).toBe(expected.features);
  expectClose(actual.count, expected.count, `${label} count`, floor, true);
  expect(Array.from(actual.nan)).toEqual(Array.from(expected.nan));
  const defined = (p: IPatternPartial, values: Float64Array) => values.map((v, i) => (p.count[i] > 0 ? v : NaN));
  expectClose(defined(actual, actual.mean), defined(expected, expected.mean), `${label} partial mean`, floor);
  // M2 compared as the population SD it implies.
  const sd = (p: IPatternPartial) => p.m2.map((m2, i) => (p.count[i] > 0 ? Math.sqrt(m2 / p.count[i]) : NaN));
  expectClose(sd(actual), sd(expected), `${label} partial sqrt(m2/n)`, floor);
}

function comparePatterns(
  actual: IPatternPartial,
  expected: IPatternPartial,
  options: IKernelOptions,
  scale: Float64Array,
  label: string
): void {
  const floor = (i: number) => scale[Math.floor(i / PHASES)];
  const a = finalizePatterns(actual, options);
  const e = finalizePatterns(expected, options);
  expectClose(a.count, e.count, `${label} pattern count`, floor, true);
  expectClose(a.mean, e.mean, `${label} pattern mean`, floor);
  expectClose(a.std, e.std, `${label} pattern std`, floor);
}

const OPTIONS: IKernelOptions[] = [
  { ddof: 0, nan: 'propagate' },
  { ddof: 1, nan: 'propagate' },
  { ddof: 0, nan: 'ignore' },
  { ddof: 1, nan: 'ignore' }
];

const CASES: Array<[string, IDataSpec]> = [
  ['a single cycle', { cycles: 1, features: 3, kind: 'gait', seed: 1 }],
  ['3 cycles', { cycles: 3, features: 2, kind: 'gait', seed: 2 }],
  ['5 cycles', { cycles: 5, features: 4, kind: 'gait', seed: 3 }],
  ['7 cycles with NaN', { cycles: 7, features: 3, kind: 'gait', seed: 4, nanRate: 0.01, nanShapes: true }],
  ['37 cycles', { cycles: 37, features: 5, kind: 'gait', seed: 5 }],
  ['large offsets (100 ± 0.01)', { cycles: 101, features: 4, kind: 'offset', seed: 6 }],
  ['large offsets with NaN', { cycles: 53, features: 3, kind: 'offset', seed: 7, nanRate: 0.02, nanShapes: true }],
  ['constant cycles', { cycles: 33, features: 3, kind: 'constant', seed: 8 }],
  ['ties of |x|', { cycles: 29, features: 3, kind: 'ties', seed: 9 }],
  ['ties of |x| with NaN', { cycles: 31, features: 3, kind: 'ties', seed: 10, nanRate: 0.05, nanShapes: true }],
  ['spikes', { cycles: 250, features: 3, kind: 'spikes', seed: 11 }],
  ['a first sample far from the rest', { cycles: 41, features: 3, kind: 'first-outlier', seed: 16 }],
  ['drift over cycles', { cycles: 1003, features: 2, kind: 'drift', seed: 12 }],
  ['thousands of cycles', { cycles: 3001, features: 3, kind: 'gait', seed: 13 }],
  ['thousands of cycles with NaN', { cycles: 2002, features: 3, kind: 'gait', seed: 14, nanRate: 0.002, nanShapes: true }],
  ['mostly NaN', { cycles: 19, features: 2, kind: 'gait', seed: 15, nanRate: 0.9 }]
];

let kernels: WasmKernels;

beforeAll(async () => {
  kernels = await loadWasmKernels();
});

afterAll(() => {
  const lines = [...worst].map(
    ([key, e]) => `  ${key}: relative ${e.relative.toExponential(2)}, normalized ${e.normalized.toExponential(2)}`
  );
  console.info(`wasm kernels vs reference, largest errors:\n${lines.join('\n')}`);
});

describe('loadWasmKernels', () => {
  it('detects SIMD and compiles once per thread', async () => {
    expect(wasmSimdSupported()).toBe(true);
    expect(await loadWasmKernels()).toBe(kernels);
  });
});

describe.each(CASES)('wasm kernels on %s', (_label, spec) => {
  const tensor = makeTensor(spec);
  const scale = featureScale(tensor);
  const C = tensor.cycles;

  it.each(OPTIONS)('per-cycle features and patterns match the reference (ddof $ddof, nan $nan)', options => {
    const { perCycle, partial } = kernels.perCycleAndPatterns(tensor, options);
    comparePerCycle(perCycle, perCycleFeatures(tensor, options), tensor, scale, 0, C, 'whole');
    const expected = patternPartial(tensor);
    comparePartial(partial, expected, scale, 'whole');
    comparePatterns(partial, expected, options, scale, 'whole');
  });

  it.each(OPTIONS)('cycle ranges match and their merged partials equal the whole range (ddof $ddof, nan $nan)', options => {
    const random = prng(spec.seed + 1000);
    const cuts = [0, C];
    for (let i = 0; i < Math.min(4, C - 1); i++) {
      cuts.push(1 + Math.floor(random() * (C - 1)));
    }
    cuts.sort((a, b) => a - b);
    const reference = perCycleFeatures(tensor, options);
    const parts: IPatternPartial[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [from, to] = [cuts[i], cuts[i + 1]];
      const { perCycle, partial } = kernels.perCycleAndPatterns(tensor, options, from, to);
      comparePerCycle(perCycle, reference, tensor, scale, from, to, `[${from}, ${to})`);
      if (to > from) {
        comparePartial(partial, patternPartial(tensor, from, to), scale, `[${from}, ${to})`);
      }
      parts.push(partial);
    }
    const merged = mergePatternPartials(parts);
    const whole = patternPartial(tensor);
    comparePartial(merged, whole, scale, 'merged');
    comparePatterns(merged, whole, options, scale, 'merged');
    comparePatterns(merged, kernels.perCycleAndPatterns(tensor, options).partial, options, scale, 'merged vs wasm whole');
  });

  it.each(OPTIONS)('cycle RMSE matches the reference (ddof $ddof, nan $nan)', options => {
    const mean = finalizePatterns(patternPartial(tensor), options).mean;
    const expected = cycleRmse(tensor, mean, options);
    expectClose(kernels.cycleRmse(tensor, mean, options), expected, 'rmse', () => 0);
    const from = Math.floor(C / 3);
    const to = C - Math.floor(C / 4);
    expectClose(kernels.cycleRmse(tensor, mean, options, from, to), cycleRmse(tensor, mean, options, from, to), 'rmse range', () => 0);
  });
});

describe('wasm kernels, edge cases', () => {
  const options: IKernelOptions = { ddof: 0, nan: 'propagate' };

  it('gives empty results for an empty range, and an empty partial merges as a no-op', () => {
    const tensor = makeTensor({ cycles: 4, features: 2, kind: 'gait', seed: 21 });
    const { perCycle, partial } = kernels.perCycleAndPatterns(tensor, options, 2, 2);
    expect(perCycle.mean.length).toBe(0);
    expect(Array.from(partial.count).every(n => n === 0)).toBe(true);
    expect(kernels.cycleRmse(tensor, new Float64Array(2 * PHASES), options, 1, 1).length).toBe(0);
    const whole = kernels.perCycleAndPatterns(tensor, options).partial;
    comparePartial(mergePatternPartials([partial, whole]), patternPartial(tensor), featureScale(tensor), 'with empty');
  });

  it('keeps the SD within 1e-5 relative, with no floor, when x[0] is far from the cycle mean', () => {
    // The kernel's float32 sums are shifted by x[0]; it must notice the cancellation and sum again.
    const tensor = makeTensor({ cycles: 64, features: 2, kind: 'first-outlier', seed: 25 });
    for (const ddof of [0, 1] as const) {
      const opts: IKernelOptions = { ddof, nan: 'propagate' };
      expectClose(kernels.perCycleAndPatterns(tensor, opts).perCycle.std, perCycleFeatures(tensor, opts).std, 'std, no floor', () => 0);
    }
  });

  it('reuses its memory across calls of different sizes', () => {
    const big = makeTensor({ cycles: 500, features: 4, kind: 'gait', seed: 22 });
    const small = makeTensor({ cycles: 2, features: 1, kind: 'offset', seed: 23 });
    kernels.perCycleAndPatterns(big, options);
    const bytes = kernels.memoryBytes;
    const { perCycle, partial } = kernels.perCycleAndPatterns(small, options);
    expect(kernels.memoryBytes).toBe(bytes);
    comparePerCycle(perCycle, perCycleFeatures(small, options), small, featureScale(small), 0, 2, 'small after big');
    comparePartial(partial, patternPartial(small), featureScale(small), 'small after big');
  });

  it('rejects bad ranges and mismatched inputs', () => {
    const tensor = makeTensor({ cycles: 3, features: 2, kind: 'gait', seed: 24 });
    expect(() => kernels.perCycleAndPatterns(tensor, options, 2, 1)).toThrow(RangeError);
    expect(() => kernels.perCycleAndPatterns(tensor, options, 0, 4)).toThrow(RangeError);
    expect(() => kernels.cycleRmse(tensor, new Float64Array(PHASES), options)).toThrow(RangeError);
    expect(() => kernels.perCycleAndPatterns({ ...tensor, cycles: 4 }, options)).toThrow(RangeError);
  });
});

/** The reference's quantiles of each feature: numpy's linear interpolation on sorted values (`[feature][3]`). */
function referenceQuantiles(tensor: ICycleTensor, nan: IKernelOptions['nan']): Float64Array {
  const F = tensor.features.length;
  const per = tensor.cycles * PHASES;
  const out = new Float64Array(F * 3).fill(NaN);
  for (let f = 0; f < F; f++) {
    const all = tensor.data.subarray(f * per, (f + 1) * per);
    const hasNan = all.some(v => v !== v);
    if (hasNan && nan === 'propagate') {
      continue;
    }
    const sorted = Float64Array.from(all.filter(v => v === v)).sort();
    if (sorted.length) {
      [0.25, 0.5, 0.75].forEach((q, k) => (out[f * 3 + k] = quantileSorted(sorted, q)));
    }
  }
  return out;
}

/** The same tensor with names that pick each validation rule (angle, velocity, moment, other). */
function named(tensor: ICycleTensor): ICycleTensor {
  const kinds = ['_angle_rad', '_velocity_rad_s', '_moment_Nm_kg', '_BW'];
  return { ...tensor, features: tensor.features.map((name, f) => `${name}${kinds[f % kinds.length]}`) };
}

describe.each(CASES)('whole-chunk wasm kernels on %s', (_label, spec) => {
  const tensor = named(makeTensor(spec));

  it.each(OPTIONS)('one call gives per-cycle features, validation and co-moments as the reference (ddof $ddof, nan $nan)', options => {
    const chunk = kernels.chunkKernels(tensor, options, true);
    const alone = kernels.perCycleAndPatterns(tensor, options);
    for (const key of Object.keys(alone.perCycle) as Array<keyof IPerCycleFeatures>) {
      expect(chunk.perCycle[key]).toEqual(alone.perCycle[key]);
    }
    expect(chunk.partial).toEqual(alone.partial);
    // Validation flags exactly (float64 comparisons, as the reference).
    expect(Array.from(chunk.reasons)).toEqual(Array.from(validateCycles(tensor).reasons));
    const expected = correlations(tensor, options, true);
    const actual = correlationsOfMoments(tensor.features.length, chunk.moments, tensor.cycles, options);
    expectClose(actual.features, expected.features, 'correlation', () => 1);
    if (expected.phases) {
      expectClose(actual.phases!, expected.phases, 'phase correlation', () => 1);
    } else {
      expect(actual.phases).toBeNull();
    }
  });

  it.each(['propagate', 'ignore'] as const)('exact quantiles by radix selection equal the sorted values (nan %s)', nan => {
    expect(Array.from(kernels.quantiles([tensor], nan))).toEqual(Array.from(referenceQuantiles(tensor, nan)));
    // Split in two tensors (two chunks of a group): the same numbers.
    if (tensor.cycles >= 2) {
      const half = Math.floor(tensor.cycles / 2);
      const parts = [subTensor(tensor, 0, half), subTensor(tensor, half, tensor.cycles)];
      expect(Array.from(kernels.quantiles(parts, nan))).toEqual(Array.from(referenceQuantiles(tensor, nan)));
    }
  });

  it('distributed radix selection (three histogram rounds over two holders, wasm and reference) gives the same quantiles', () => {
    const F = tensor.features.length;
    const half = Math.max(1, Math.floor(tensor.cycles / 2));
    const holders = [subTensor(tensor, 0, half), subTensor(tensor, half, tensor.cycles)];
    for (const histogram of [addKeyHistogram, kernels.keyHistogram.bind(kernels)]) {
      const quantiles = new Float64Array(F * 3).fill(NaN);
      for (let f = 0; f < F; f++) {
        const samples = holders.map(part => part.data.subarray(f * part.cycles * PHASES, (f + 1) * part.cycles * PHASES));
        const counts0 = new Uint32Array(radixBins(0));
        const nanCount = samples.reduce((sum, s) => sum + histogram(s, 0, [], counts0), 0);
        const selection = new RankSelection(tensor.cycles * PHASES - nanCount, [0.25, 0.5, 0.75]);
        selection.narrow(0, counts0, []);
        for (const level of [1, 2]) {
          const prefixes = selection.prefixes;
          const counts = new Uint32Array(prefixes.length * radixBins(level));
          samples.forEach(s => histogram(s, level, prefixes, counts));
          selection.narrow(level, counts, prefixes);
        }
        if (selection.n > 0) {
          quantiles.set(selection.values(), f * 3);
        }
      }
      expect(Array.from(quantiles)).toEqual(Array.from(referenceQuantiles(tensor, 'ignore')));
    }
  });
});

describe('order-preserving float keys', () => {
  it('sort as the numbers do, and read back exactly', () => {
    const values = new Float32Array([-Infinity, -3.4e38, -1, -1e-30, -1e-45, -0, 0, 1e-45, 1e-30, 0.5, 1, 3.4e38, Infinity]);
    const bits = new Uint32Array(values.buffer);
    const keys = Array.from(bits, floatKey);
    for (let i = 1; i < keys.length; i++) {
      expect(keys[i]).toBeGreaterThan(keys[i - 1]);
    }
    expect(keys.map(keyValue)).toEqual(Array.from(values));
  });

  it('the ranks around each quantile follow numpy (lower, and the next one capped at n − 1)', () => {
    expect(quantileRanks(1, [0.25, 0.5, 0.75])).toEqual([0]);
    expect(quantileRanks(4, [0.25, 0.5, 0.75])).toEqual([0, 1, 2, 3]);
    expect(quantileRanks(101, [0.25, 0.5, 0.75])).toEqual([25, 26, 50, 51, 75, 76]);
  });
});
