/**
 * The WebGPU kernels against the reference backend, on a real adapter: Dawn (the `webgpu`
 * package) on the system's Vulkan driver, or SwiftShader from Debian's chromium on a machine
 * without a GPU. No adapter is a failure, not a skip. Sizes stay small: software adapters are slow.
 */
import { gpuKernels } from '../gpu-device';
import { GpuKernelError, type GpuKernels } from '../gpu-kernels';
import { useNodeGpu } from '../node-gpu';
import {
  finalizePatterns,
  mergePatternPartials,
  patternPartial,
  perCycleFeatures,
  cycleRmse,
  correlations,
  validateCycles
} from '../../reference';
import { PHASES, type ICycleTensor, type IKernelOptions } from '../../types';

useNodeGpu();

let kernels: GpuKernels;

beforeAll(async () => {
  kernels = await gpuKernels();
}, 60000);

/** Seeded pseudo-random numbers. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const FEATURES = [
  'knee_flexion_angle_ipsi_rad',
  'hip_flexion_velocity_ipsi_rad_s',
  'ankle_dorsiflexion_moment_ipsi_Nm_kg',
  'grf_vertical_ipsi_BW',
  'pelvis_sagittal_angle_rad'
];

function tensor(cycles: number, seed: number, nans = 0): ICycleTensor {
  const next = random(seed);
  const F = FEATURES.length;
  const data = new Float32Array(F * cycles * PHASES);
  for (let f = 0; f < F; f++) {
    const offset = [0.4, 0, -0.5, 100, 0.1][f];
    const amplitude = [0.6, 4, 1.2, 0.01, 0.05][f];
    for (let c = 0; c < cycles; c++) {
      const shift = next() * 0.4;
      const scale = c === 3 ? 2.5 : 1 + (next() - 0.5) * 0.2;
      for (let p = 0; p < PHASES; p++) {
        data[(f * cycles + c) * PHASES + p] =
          offset + amplitude * scale * Math.sin((2 * Math.PI * p) / PHASES + shift) + (next() - 0.5) * 0.01 * amplitude;
      }
    }
  }
  // An angle jump and an out-of-range velocity for the validation flags.
  data[(0 * cycles + 1) * PHASES + 40] += 1;
  data[(1 * cycles + 2) * PHASES + 70] = 30;
  for (let k = 0; k < nans; k++) {
    data[Math.floor(next() * data.length)] = NaN;
  }
  return { features: FEATURES, cycles, data };
}

function maxAbsPerFeature(t: ICycleTensor): number[] {
  return t.features.map((_, f) => {
    let m = 0;
    for (const v of t.data.subarray(f * t.cycles * PHASES, (f + 1) * t.cycles * PHASES)) {
      if (v === v) {
        m = Math.max(m, Math.abs(v));
      }
    }
    return m;
  });
}

/** |a − b| ≤ 1e-5 · max(|b|, floor); NaN equals NaN. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: (i: number) => number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (Number.isNaN(b) || Number.isNaN(a)) {
      expect([what, i, a]).toEqual([what, i, b]);
      continue;
    }
    const tolerance = 1e-5 * Math.max(Math.abs(b), floor(i));
    if (Math.abs(a - b) > tolerance) {
      throw new Error(`${what}[${i}]: ${a} vs ${b} (tolerance ${tolerance})`);
    }
  }
}

const CASES: Array<[string, number, number, IKernelOptions]> = [
  ['clean, ddof 0', 37, 0, { ddof: 0, nan: 'propagate' }],
  ['clean, ddof 1', 37, 0, { ddof: 1, nan: 'propagate' }],
  ['NaN propagate', 29, 12, { ddof: 0, nan: 'propagate' }],
  ['NaN ignore', 29, 12, { ddof: 1, nan: 'ignore' }],
  ['one cycle', 1, 0, { ddof: 1, nan: 'propagate' }],
  ['300 cycles', 300, 0, { ddof: 0, nan: 'propagate' }]
];

describe('GpuKernels on a real adapter', () => {
  it('uses a real adapter (not Dawn’s null backend)', () => {
    expect(kernels.adapter).not.toMatch(/null/i);
    expect(kernels.adapter.length).toBeGreaterThan(3);
  });

  it.each(CASES)('%s: per-cycle features, patterns and RMSE equal the reference', async (_, cycles, nans, options) => {
    const t = tensor(cycles, cycles * 7 + nans, nans);
    const scale = maxAbsPerFeature(t);
    const { perCycle, partial } = await kernels.perCycleAndPatterns(t, options);
    const expected = perCycleFeatures(t, options);
    for (const key of ['mean', 'std', 'min', 'max', 'rom', 'peakTiming'] as const) {
      expectClose(perCycle[key], expected[key], i => (key === 'peakTiming' ? 1 : scale[Math.floor(i / cycles)]), key);
    }
    const patterns = finalizePatterns(partial, options);
    const expectedPatterns = finalizePatterns(patternPartial(t), options);
    expectClose(patterns.mean, expectedPatterns.mean, i => scale[Math.floor(i / PHASES)], 'pattern mean');
    expectClose(patterns.std, expectedPatterns.std, i => scale[Math.floor(i / PHASES)], 'pattern std');
    expect(Array.from(patterns.count)).toEqual(Array.from(expectedPatterns.count));
    const rmse = await kernels.cycleRmse(t, expectedPatterns.mean, options);
    expectClose(rmse, cycleRmse(t, expectedPatterns.mean, options), () => Math.max(...scale), 'rmse');
  });

  it.each(CASES)('%s: validation and correlations equal the reference', async (_, cycles, nans, options) => {
    const t = tensor(cycles, cycles * 7 + nans, nans);
    const stats = await kernels.groupStatistics(t, options, true);
    const expected = validateCycles(t);
    expect(Array.from(stats.validation.reasons)).toEqual(Array.from(expected.reasons));
    expect(Array.from(stats.validation.valid)).toEqual(Array.from(expected.valid));
    const corr = correlations(t, options);
    expectClose(stats.correlations.features, corr.features, () => 1, 'feature correlations');
    if (corr.phases === null) {
      expect(stats.correlations.phases).toBeNull();
    } else {
      expectClose(stats.correlations.phases!, corr.phases, () => 1, 'phase correlations');
    }
  });

  it('cuts inputs larger than the device limits into chunks and merges them exactly', async () => {
    const t = tensor(50, 11, 3);
    const options: IKernelOptions = { ddof: 1, nan: 'ignore' };
    const small = kernels.withLimits({
      maxStorageBufferBindingSize: FEATURES.length * PHASES * 4 * 8,
      maxComputeWorkgroupsPerDimension: 8
    });
    expect(small.chunkRanges(t)).toHaveLength(7);
    const whole = await kernels.perCycleAndPatterns(t, options);
    const chunked = await small.perCycleAndPatterns(t, options);
    const scale = maxAbsPerFeature(t);
    for (const key of ['mean', 'std', 'min', 'max', 'rom', 'peakTiming'] as const) {
      expectClose(chunked.perCycle[key], whole.perCycle[key], i => (key === 'peakTiming' ? 1 : scale[Math.floor(i / 50)]), key);
    }
    const a = finalizePatterns(chunked.partial, options);
    const b = finalizePatterns(mergePatternPartials([patternPartial(t, 0, 20), patternPartial(t, 20, 50)]), options);
    expectClose(a.std, b.std, i => scale[Math.floor(i / PHASES)], 'chunked pattern std');
    const stats = await small.groupStatistics(t, options, true);
    expectClose(stats.correlations.phases!, correlations(t, options).phases!, () => 1, 'chunked phase correlations');
    // One upload per chunk, reused by every kernel of the group; pipelines made once.
    expect(small.stats.uploads).toBe(7);
    expect(small.stats.pipelinesCreated).toBe(4); // per-cycle, patterns, validation, co-moments
    expect(small.stats.submits).toBe(2);
  });

  it('reuses the uploaded tensor and the pipelines across calls', async () => {
    const t = tensor(20, 5);
    const before = { ...kernels.stats };
    await kernels.perCycleAndPatterns(t, { ddof: 0, nan: 'propagate' });
    await kernels.cycleRmse(t, new Float64Array(FEATURES.length * PHASES), { ddof: 0, nan: 'propagate' });
    expect(kernels.stats.uploads - before.uploads).toBe(1);
    expect(kernels.stats.pipelinesCreated).toBe(before.pipelinesCreated);
    expect(kernels.stats.readbacks - before.readbacks).toBe(3);
  });

  it('fails loudly, with no result, when the device is lost', async () => {
    const t = tensor(10, 3);
    const doomed = kernels.withLimits({});
    doomed.destroyDevice();
    await expect(doomed.perCycleAndPatterns(t, { ddof: 0, nan: 'propagate' })).rejects.toBeInstanceOf(GpuKernelError);
  });
});
