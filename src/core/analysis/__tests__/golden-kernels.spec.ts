/**
 * analyzeDataset on the pyarrow-written fixtures, through the real Node worker pool, for every
 * kernel backend, checked against an independent numpy implementation of LocoHub's
 * `LocomotionData` statistics (test/expected_kernels.py), and the backends against each other.
 *
 * Tolerance: 1e-5 relative, with an absolute floor of 1e-5 × the feature's max |x| (1e-5 for
 * correlations and peak timing); NaN must be NaN; outlier cycles, validation flags, groups and
 * skipped blocks exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { analyzeDataset } from '../analyze-dataset';
import { LOCOLENS_VERSION } from '../../version';
import { TensorStore } from '../../store/tensor-store';
import { type IAnalysisResult, type IAnalysisStore, type IGroupAnalysis } from '../result';
import type { BackendName } from '../../kernels/types';
import { PHASES } from '../../kernels/types';
import { createNodePool } from '../../pool/node-pool';
import { useNodeGpu } from '../../kernels/webgpu/node-gpu';

useNodeGpu();
import type { DecodePool } from '../../worker/decode-service';
import { fixture, kernelGolden, type IGoldenCase, type IGoldenGroup, type IKernelCase } from '../../../../test/fixtures';

const RELATIVE = 1e-5;
/**
 * Each backend in memory, and three over a 60 kB budget: 'wasm streamed' runs the job engine
 * with every group spilled to a scratch tensor store (a temporary folder) and finished from it;
 * 'workers streamed' has no store, so its groups stream from parquet on this thread (chunks of a
 * few cycles cut across the 1000-row row groups, quantiles gathered a few features per pass), as
 * does WebGPU's.
 */
type Run = BackendName | `${BackendName} streamed`;
const BACKENDS: Run[] = ['reference', 'wasm', 'workers', 'webgpu', 'wasm streamed', 'workers streamed', 'webgpu streamed'];
const STREAM_BUDGET = 60_000;
const FEW = [
  'hip_flexion_angle_ipsi_rad',
  'knee_flexion_velocity_ipsi_rad_s',
  'ankle_dorsiflexion_moment_ipsi_Nm_kg',
  'grf_vertical_ipsi_BW'
];

const CASES: IKernelCase[] = [
  // Row groups of 1000 rows (cycles straddle them), plain strings, float64 columns, nulls, outliers.
  { id: 'multi_rowgroup: every task, all subjects, ddof 0', file: 'multi_rowgroup.parquet', ddof: 0 },
  { id: 'multi_rowgroup: 2 subjects, ddof 1', file: 'multi_rowgroup.parquet', subjects: ['UM21_AB01', 'UM21_AB02'], ddof: 1 },
  {
    id: 'multi_rowgroup: incline, nan ignore, k 1.5',
    file: 'multi_rowgroup.parquet',
    task: 'incline_walking',
    nan: 'ignore',
    threshold: 1.5
  },
  // Dictionary-encoded strings, float32.
  { id: 'dictionary_strings: decline, all subjects', file: 'dictionary_strings.parquet', task: 'decline_walking' },
  { id: 'dictionary_strings: 1 subject, ddof 1', file: 'dictionary_strings.parquet', subjects: ['UM21_AB03'], ddof: 1, features: FEW },
  // NaN values and nulls.
  { id: 'with_nans: propagate, ddof 0', file: 'with_nans.parquet', nan: 'propagate' },
  { id: 'with_nans: ignore, ddof 1', file: 'with_nans.parquet', nan: 'ignore', ddof: 1 },
  {
    id: 'with_nans: 1 subject × stair_ascent, ignore',
    file: 'with_nans.parquet',
    subjects: ['UM21_AB02'],
    task: 'stair_ascent',
    nan: 'ignore'
  },
  // A subject × task of exactly one cycle.
  { id: 'one_cycle: subject with 1 and 5 cycles, ddof 1', file: 'one_cycle.parquet', subjects: ['UM21_AB01'], ddof: 1 },
  {
    id: 'one_cycle: the 1-cycle block, ddof 0',
    file: 'one_cycle.parquet',
    subjects: ['UM21_AB01'],
    task: 'incline_walking',
    features: FEW
  },
  { id: 'one_cycle: incline, all subjects (1+5+5 cycles)', file: 'one_cycle.parquet', task: 'incline_walking', ddof: 1, features: FEW },
  // 320 cycles in one task (the workers backend splits them).
  { id: 'many_cycles: ddof 0, k 2', file: 'many_cycles.parquet' },
  { id: 'many_cycles: per subject, ddof 1, k 3', file: 'many_cycles.parquet', subjects: ['UM21_AB01'], ddof: 1, threshold: 3 },
  // A block of 749 rows: reported, the others analysed.
  { id: 'bad_cycle_count: every task', file: 'bad_cycle_count.parquet' },
  { id: 'bad_cycle_count: the bad subject, ddof 1', file: 'bad_cycle_count.parquet', subjects: ['UM21_AB02'], ddof: 1, features: FEW }
];

let pool: DecodePool;
let golden: Record<string, IGoldenCase>;
const results = new Map<string, IAnalysisResult>();

beforeAll(() => {
  pool = createNodePool(2);
  golden = kernelGolden(CASES);
});

afterAll(() => pool.dispose());

let scratchFolder: string;
let scratch: IAnalysisStore;

beforeAll(() => {
  scratchFolder = mkdtempSync(join(tmpdir(), 'locolens-golden-'));
  scratch = { store: new TensorStore(pool, scratchFolder, LOCOLENS_VERSION), identity: 'golden' };
});

afterAll(() => rmSync(scratchFolder, { recursive: true, force: true }));

function analyze(c: IKernelCase, run: Run): Promise<IAnalysisResult> {
  const [backend, streamed] = run.split(' ') as [BackendName, string | undefined];
  return analyzeDataset(
    pool,
    { kind: 'file', path: fixture(c.file) },
    { task: c.task, subjects: c.subjects, features: c.features },
    {
      backend,
      ddof: c.ddof ?? 0,
      nan: c.nan ?? 'propagate',
      outlierThreshold: c.threshold ?? 2,
      memoryBudget: streamed ? STREAM_BUDGET : undefined,
      scratch: streamed && backend === 'wasm' ? scratch : undefined
    }
  );
}

const missing = (v: number | null) => v === null || Number.isNaN(v);

/** Collects the differences of two arrays beyond the tolerance (NaN must meet NaN). */
class Differences {
  readonly lines: string[] = [];
  count = 0;

  check(what: string, actual: ArrayLike<number>, expected: ArrayLike<number | null>, floor: (index: number) => number): void {
    if (actual.length !== expected.length) {
      this.add(`${what}: length ${actual.length}, expected ${expected.length}`);
      return;
    }
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i];
      const e = expected[i];
      if (e === null || Number.isNaN(e)) {
        if (!Number.isNaN(a)) {
          this.add(`${what}[${i}]: ${a}, expected NaN`);
        }
      } else if (Number.isNaN(a) || !(Math.abs(a - e) <= Math.max(RELATIVE * Math.abs(e), floor(i)))) {
        this.add(`${what}[${i}]: ${a}, expected ${e} (diff ${Math.abs(a - e)})`);
      }
    }
  }

  add(line: string): void {
    this.count++;
    if (this.lines.length < 25) {
      this.lines.push(line);
    }
  }

  /** The report for expect(): empty when all agree. */
  get report(): string[] {
    return this.count > this.lines.length ? [...this.lines, `… ${this.count - this.lines.length} more`] : this.lines;
  }
}

/** Every number of one group against the numpy golden group (or another backend's group). */
function compareGroup(
  diff: Differences,
  label: string,
  actual: IGroupAnalysis,
  expected: IGoldenGroup,
  scale: number[],
  nan: 'propagate' | 'ignore'
): void {
  const C = expected.cycles;
  const maxScale = Math.max(0, ...scale);
  const perCycle = (i: number) => RELATIVE * scale[Math.floor(i / C)];
  const perPattern = (i: number) => RELATIVE * scale[Math.floor(i / PHASES)];
  const perFeature = (i: number) => RELATIVE * scale[i];
  const unit = () => RELATIVE;
  for (const key of ['mean', 'std', 'min', 'max', 'rom'] as const) {
    diff.check(`${label} perCycle.${key}`, actual.perCycle[key], expected.perCycle[key], perCycle);
  }
  diff.check(`${label} perCycle.peakTiming`, actual.perCycle.peakTiming, expected.perCycle.peakTiming, unit);
  // Dimensionless shape statistics (float32 on the GPU): an absolute tolerance.
  diff.check(`${label} perCycle.skewness`, actual.perCycle.skewness, expected.perCycle.skewness, () => 10 * RELATIVE);
  diff.check(`${label} perCycle.kurtosis`, actual.perCycle.kurtosis, expected.perCycle.kurtosis, () => 10 * RELATIVE);
  diff.check(`${label} perCycle.dominantFrequency`, actual.perCycle.dominantFrequency, expected.perCycle.dominantFrequency, () => 0);
  diff.check(`${label} patterns.mean`, actual.patterns.mean, expected.patterns.mean, perPattern);
  diff.check(`${label} patterns.std`, actual.patterns.std, expected.patterns.std, perPattern);
  // types.ts documents count as "all of them under 'propagate'", but the kernels count the non-NaN
  // cycles under both policies; a poisoned (NaN) cell's count is left unchecked under 'propagate'.
  const count = Array.from(expected.patterns.count, (n, i) => (missing(expected.patterns.mean[i]) && nan === 'propagate' ? null : n));
  const actualCount = Array.from(actual.patterns.count, (n, i) => (count[i] === null ? NaN : n));
  diff.check(`${label} patterns.count`, actualCount, count, () => 0);
  diff.check(`${label} romOverall`, actual.romOverall, expected.romOverall, perFeature);
  for (const key of ['mean', 'std', 'min', 'max', 'median', 'q25', 'q75'] as const) {
    diff.check(`${label} summary.${key}`, actual.summary[key], expected.summary[key], perFeature);
  }
  diff.check(`${label} outliers.rmse`, actual.outliers.rmse, expected.outliers.rmse, () => RELATIVE * maxScale);
  diff.check(`${label} outliers.cut`, [actual.outliers.cut], [expected.outliers.cut], () => RELATIVE * maxScale);
  if (JSON.stringify(actual.outliers.cycles) !== JSON.stringify(expected.outliers.cycles)) {
    diff.add(`${label} outliers.cycles: ${JSON.stringify(actual.outliers.cycles)}, expected ${JSON.stringify(expected.outliers.cycles)}`);
  }
  const valid = Array.from(actual.validation.valid, v => v === 1);
  if (JSON.stringify(valid) !== JSON.stringify(expected.validation.valid)) {
    diff.add(`${label} validation.valid: ${JSON.stringify(valid)}, expected ${JSON.stringify(expected.validation.valid)}`);
  }
  if (JSON.stringify(Array.from(actual.validation.reasons)) !== JSON.stringify(expected.validation.reasons)) {
    diff.add(
      `${label} validation.reasons: ${JSON.stringify(Array.from(actual.validation.reasons))}, expected ${JSON.stringify(expected.validation.reasons)}`
    );
  }
  diff.check(`${label} correlations.features`, actual.correlations.features, expected.correlations.features, unit);
  if (expected.correlations.phases === null || actual.correlations.phases === null) {
    if (expected.correlations.phases !== actual.correlations.phases) {
      diff.add(
        `${label} correlations.phases: ${actual.correlations.phases === null ? 'null' : 'present'}, expected ${expected.correlations.phases === null ? 'null' : 'present'}`
      );
    }
  } else {
    diff.check(`${label} correlations.phases`, actual.correlations.phases, expected.correlations.phases, unit);
  }
}

/** A group of an analysis in the golden shape, to compare two backends with the same code. */
function asGolden(group: IGroupAnalysis, scale: number[]): IGoldenGroup {
  const list = (array: ArrayLike<number>) => Array.from(array);
  return {
    task: group.task,
    subjects: group.subjects,
    cycles: group.cycles,
    cycleSubjects: group.cycleSubjects,
    cycleIndex: group.cycleIndex,
    perCycle: {
      mean: list(group.perCycle.mean),
      std: list(group.perCycle.std),
      min: list(group.perCycle.min),
      max: list(group.perCycle.max),
      rom: list(group.perCycle.rom),
      peakTiming: list(group.perCycle.peakTiming),
      skewness: list(group.perCycle.skewness),
      kurtosis: list(group.perCycle.kurtosis),
      dominantFrequency: list(group.perCycle.dominantFrequency)
    },
    patterns: { mean: list(group.patterns.mean), std: list(group.patterns.std), count: list(group.patterns.count) },
    romOverall: list(group.romOverall),
    summary: {
      mean: list(group.summary.mean),
      std: list(group.summary.std),
      min: list(group.summary.min),
      max: list(group.summary.max),
      median: list(group.summary.median),
      q25: list(group.summary.q25),
      q75: list(group.summary.q75)
    },
    outliers: { rmse: list(group.outliers.rmse), cut: group.outliers.cut, cycles: group.outliers.cycles },
    validation: { valid: Array.from(group.validation.valid, v => v === 1), reasons: list(group.validation.reasons) },
    correlations: { features: list(group.correlations.features), phases: group.correlations.phases && list(group.correlations.phases) },
    scale
  };
}

const groupKeys = (groups: Array<{ task: string; subjects: string[]; cycles: number }>) =>
  groups.map(group => `${group.task}: ${group.subjects.join('+')} (${group.cycles} cycles)`);

describe.each(CASES)('$id', c => {
  it.each(BACKENDS)('%s backend: every statistic matches numpy', async backend => {
    const expected = golden[c.id];
    const result = await analyze(c, backend);
    results.set(`${c.id}/${backend}`, result);
    // WebGPU runs on a real adapter (a GPU, or SwiftShader in CI): never a silent fallback.
    expect([result.backend, result.fallback]).toEqual([backend.split(' ')[0], undefined]);
    const overBudget = backend.endsWith('streamed') && result.memory.tensorBytes * 2 > STREAM_BUDGET;
    expect(result.memory.mode).toBe(overBudget ? 'streamed' : 'in-memory');
    if (overBudget && backend !== 'wasm streamed') {
      expect(result.memory.chunkCycles).toBeLessThan(Math.max(...result.groups.map(group => group.cycles)));
    }
    if (overBudget) {
      expect(result.groups.every(group => group.tensor === undefined)).toBe(true);
    }
    expect(result.options).toEqual({ ddof: c.ddof ?? 0, nan: c.nan ?? 'propagate', outlierThreshold: c.threshold ?? 2 });
    expect(result.selection.features).toEqual(expected.features);
    expect(result.skipped.map(s => [s.subject, s.task, s.rows])).toEqual(expected.skipped.map(s => [s.subject, s.task, s.rows]));
    expect(result.skipped.every(s => /not a multiple of 150/.test(s.reason))).toBe(true);
    expect(groupKeys(result.groups)).toEqual(groupKeys(expected.groups));
    const diff = new Differences();
    result.groups.forEach((group, g) => {
      const want = expected.groups[g];
      expect(group.features).toEqual(expected.features);
      expect([group.cycleSubjects, group.cycleIndex]).toEqual([want.cycleSubjects, want.cycleIndex]);
      compareGroup(diff, `${backend} ${group.task}/${group.subjects.join('+')}`, group, want, want.scale, c.nan ?? 'propagate');
    });
    expect(diff.report).toEqual([]);
  });

  it('the backends agree with each other', () => {
    const expected = golden[c.id];
    const reference = results.get(`${c.id}/reference`);
    expect(reference).toBeDefined();
    const diff = new Differences();
    for (const backend of BACKENDS.slice(1)) {
      const other = results.get(`${c.id}/${backend}`);
      expect(other).toBeDefined();
      expect(groupKeys(other!.groups)).toEqual(groupKeys(reference!.groups));
      other!.groups.forEach((group, g) => {
        const scale = expected.groups[g].scale;
        compareGroup(
          diff,
          `${backend} vs reference ${group.task}`,
          group,
          asGolden(reference!.groups[g], scale),
          scale,
          c.nan ?? 'propagate'
        );
      });
    }
    expect(diff.report).toEqual([]);
  });
});

describe('streaming', () => {
  it('over the small budget: the job engine spills to the store and reads parquet once; without a store, groups stream in chunks', () => {
    const spilled = CASES.filter(c => results.get(`${c.id}/wasm streamed`)?.memory.mode === 'streamed');
    expect(spilled.length).toBeGreaterThanOrEqual(9);
    const many = results.get('many_cycles: ddof 0, k 2/wasm streamed')!;
    const inMemory = results.get('many_cycles: ddof 0, k 2/wasm')!;
    expect(many.memory).toMatchObject({ mode: 'streamed', passes: 1 });
    // The finish rounds read the spilled chunks back from the store, not parquet.
    expect(many.io.bytesRead).toBeLessThan(1.1 * inMemory.io.bytesRead);
    const legacy = results.get('many_cycles: ddof 0, k 2/workers streamed')!;
    expect(legacy.memory).toMatchObject({ mode: 'streamed', chunkCycles: 6 });
    // Pass 1 and the RMSE pass read all features; the other quantile passes one or a few each.
    expect(legacy.memory.passes).toBeGreaterThan(2);
    expect(legacy.io.bytesRead).toBeGreaterThan(1.5 * inMemory.io.bytesRead);
  });
});

describe('the edge cases are in the golden data', () => {
  it('one cycle: ddof 1 gives NaN SDs and no phase correlations; ddof 0 gives SD 0', () => {
    const [one, five] = golden['one_cycle: subject with 1 and 5 cycles, ddof 1'].groups;
    expect([one.cycles, five.cycles]).toEqual([1, 5]);
    expect(one.patterns.std.every(v => v === null)).toBe(true);
    expect(one.correlations.phases).toBeNull();
    expect(one.outliers.cycles).toEqual([]);
    expect(five.correlations.phases).not.toBeNull();
    const result = results.get('one_cycle: subject with 1 and 5 cycles, ddof 1/reference')!;
    expect(Array.from(result.groups[0].patterns.std).every(Number.isNaN)).toBe(true);
    expect(result.groups[0].correlations.phases).toBeNull();
    const zero = results.get('one_cycle: the 1-cycle block, ddof 0/reference')!.groups[0];
    expect(Array.from(zero.patterns.std).every(v => v === 0)).toBe(true);
  });

  it('bad cycle count: the 749-row block is skipped, the rest analysed', () => {
    const all = results.get('bad_cycle_count: every task/workers')!;
    expect(all.skipped).toEqual([{ subject: 'UM21_AB02', task: 'stair_ascent', rows: 749, reason: '749 rows is not a multiple of 150' }]);
    expect(all.groups.map(g => [g.task, g.subjects, g.cycles])).toEqual([
      ['incline_walking', ['UM21_AB01', 'UM21_AB02', 'UM21_AB03'], 12],
      ['stair_ascent', ['UM21_AB01', 'UM21_AB03'], 8]
    ]);
    const one = results.get('bad_cycle_count: the bad subject, ddof 1/wasm')!;
    expect(one.groups.map(g => [g.task, g.subjects, g.cycles])).toEqual([['incline_walking', ['UM21_AB02'], 4]]);
    expect(one.skipped.map(s => s.rows)).toEqual([749]);
  });

  it('NaN: propagate poisons the touched statistics and finds no outliers; ignore finds some', () => {
    const propagate = golden['with_nans: propagate, ddof 0'];
    const ignore = golden['with_nans: ignore, ddof 1'];
    for (const group of propagate.groups) {
      expect(group.outliers.cut).toBeNull();
      expect(group.outliers.cycles).toEqual([]);
      expect(group.validation.reasons.some(r => (r & 16) !== 0)).toBe(true);
    }
    expect(ignore.groups.every(group => group.outliers.cut !== null)).toBe(true);
    expect(ignore.groups.every(group => group.summary.mean.every(v => v !== null))).toBe(true);
  });

  it('many cycles: the injected outliers are found', () => {
    const group = golden['many_cycles: ddof 0, k 2'].groups[0];
    expect(group.cycles).toBe(320);
    expect(group.outliers.cycles).toEqual(expect.arrayContaining([119]));
  });
});
