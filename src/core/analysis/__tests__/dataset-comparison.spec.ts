/**
 * Cross-dataset comparison against numpy (test/expected_comparison.py) on pyarrow-written
 * fixtures, from results of the real engine on the Node worker pool: dataset patterns pooled from
 * the subject x task groups, differences from the reference, counts and coverage; the known
 * differences of compare_a / compare_b; NaN under both policies; ddof 0 and 1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { analyzeDataset } from '../analyze-dataset';
import {
  analyzeComparison,
  commonTasks,
  compareDatasets,
  comparisonToJSON,
  datasetPattern,
  patternDifference,
  variableCoverage
} from '../dataset-comparison';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { errorCode } from '../../errors';
import type { IKernelOptions } from '../../kernels/types';
import { PHASES } from '../../kernels/types';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { fixture } from '../../../../test/fixtures';

const python = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');
let pool: DecodePool;
beforeAll(() => {
  pool = createNodePool(2);
});
afterAll(() => pool.dispose());

function access(options: IKernelOptions) {
  return {
    inspect: (path: string) => inspectDataset(pool, { kind: 'file', path }),
    analyze: (path: string, selection: Parameters<typeof analyzeDataset>[2]) =>
      analyzeDataset(pool, { kind: 'file', path }, selection, { ...options, backend: 'wasm', phaseCorrelations: false })
  };
}

interface IExpected {
  datasets: Array<{
    subjects: string[];
    cycles: number;
    patterns: Record<string, { mean: Array<number | null>; std: Array<number | null> }>;
    variables: string[];
  }>;
  differences: Record<string, Array<{ mean_difference: number | null; rmse: number | null; r: number | null }>>;
}

function numpy(paths: string[], task: string, features: string[], options: IKernelOptions): IExpected {
  return JSON.parse(
    execFileSync(python, ['test/expected_comparison.py', paths.join(','), task, features.join(','), options.nan, String(options.ddof)], {
      encoding: 'utf8'
    })
  );
}

/** Equal within float32-sample precision, relative to the value and to `scale`; null = NaN. */
function close(actual: ArrayLike<number>, expected: Array<number | null>, label: string, scale: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const got = actual[i];
    if (want === null) {
      if (Number.isFinite(got)) {
        throw new Error(`${label}[${i}]: ${got}, numpy NaN`);
      }
    } else if (!(Math.abs(got - want) <= 1e-6 * Math.abs(want) + 1e-6 * scale)) {
      throw new Error(`${label}[${i}]: ${got}, numpy ${want}`);
    }
  }
}

describe.each([
  [['compare_a.parquet', 'compare_b.parquet'], 'level_walking', 'propagate', 0],
  [['compare_a.parquet', 'compare_b.parquet'], 'run', 'ignore', 1],
  [['multi_rowgroup.parquet', 'with_nans.parquet'], 'stair_ascent', 'ignore', 1],
  [['multi_rowgroup.parquet', 'with_nans.parquet'], 'stair_ascent', 'propagate', 0],
  [['tiny_snappy.parquet', 'compare_a.parquet', 'compare_b.parquet'], 'run', 'ignore', 0]
] as const)('%j, task %s, NaN %s, ddof %i', (names, task, nan, ddof) => {
  it('equals numpy: pooled patterns, counts, differences from the reference, coverage', async () => {
    const options: IKernelOptions = { nan, ddof };
    const paths = names.map(name => fixture(name));
    const comparison = await analyzeComparison(paths, task, access(options));
    const expected = numpy(paths, task, comparison.features, options);
    expect(comparison.reference).toBe(paths[0]);
    expect(comparison.options).toEqual(options);
    comparison.datasets.forEach((pattern, d) => {
      const want = expected.datasets[d];
      expect(pattern.subjects).toEqual(want.subjects);
      expect(pattern.cycles).toBe(want.cycles);
      for (const name of comparison.features) {
        const f = pattern.features.indexOf(name);
        const scale = Math.max(1e-12, ...want.patterns[name].mean.map(v => Math.abs(v ?? 0)));
        close(pattern.mean.subarray(f * PHASES, (f + 1) * PHASES), want.patterns[name].mean, `${names[d]} ${name} mean`, scale);
        close(pattern.std.subarray(f * PHASES, (f + 1) * PHASES), want.patterns[name].std, `${names[d]} ${name} sd`, scale);
      }
    });
    expect(comparison.differences.map(difference => difference.feature)).toEqual(comparison.features);
    expect(comparison.features.length).toBeGreaterThan(0);
    for (const difference of comparison.differences) {
      const want = expected.differences[difference.feature];
      const scale = Math.max(1e-12, ...expected.datasets[0].patterns[difference.feature].mean.map(v => Math.abs(v ?? 0)));
      close(
        difference.meanDifference,
        want.map(w => w.mean_difference),
        `${difference.feature} mean difference`,
        scale
      );
      close(
        difference.rmse,
        want.map(w => w.rmse),
        `${difference.feature} RMSE`,
        scale
      );
      close(
        difference.correlation,
        want.map(w => w.r),
        `${difference.feature} r`,
        1
      );
    }
    // Coverage: exactly the variables that some files lack.
    const sets = expected.datasets.map(dataset => new Set(dataset.variables));
    const partial = [...new Set(expected.datasets.flatMap(dataset => dataset.variables))].filter(name => !sets.every(set => set.has(name)));
    expect(comparison.coverage.map(row => row.variable)).toEqual(partial.sort());
    for (const row of comparison.coverage) {
      expect(row.present).toEqual(sets.map(set => set.has(row.variable)));
    }
    if (nan === 'propagate' && (names as readonly string[]).includes('with_nans.parquet')) {
      // The file with missing samples: NaN patterns and NaN differences where numpy has them.
      expect(comparison.differences.some(difference => difference.rmse.some(v => Number.isNaN(v)))).toBe(true);
    }
  });
});

describe('the known differences of compare_a and compare_b', () => {
  it('knee + 0.1 rad: mean difference and RMSE 0.1, r 1; hip x 1.2: r 1; the rest equal; counts and coverage', async () => {
    const options: IKernelOptions = { nan: 'propagate', ddof: 0 };
    const paths = [fixture('compare_a.parquet'), fixture('compare_b.parquet')];
    const comparison = await analyzeComparison(paths, 'level_walking', access(options));
    const row = (name: string) => comparison.differences.find(difference => difference.feature === name)!;
    expect(row('knee_flexion_angle_ipsi_rad').meanDifference[0]).toBeCloseTo(0.1, 6);
    expect(row('knee_flexion_angle_ipsi_rad').rmse[0]).toBeCloseTo(0.1, 6);
    expect(row('knee_flexion_angle_ipsi_rad').correlation[0]).toBeCloseTo(1, 9);
    expect(row('hip_flexion_angle_ipsi_rad').correlation[0]).toBeCloseTo(1, 9);
    expect(row('hip_flexion_angle_ipsi_rad').rmse[0]).toBeGreaterThan(0.01);
    expect(row('ankle_dorsiflexion_angle_ipsi_rad').rmse[0]).toBeLessThan(1e-7);
    // compare_b holds each cycle twice: same mean and same SD (ddof 0) where nothing was changed.
    const [a, b] = comparison.datasets;
    expect(b.subjects.length).toBe(2 * a.subjects.length);
    expect(b.cycles).toBe(2 * a.cycles);
    const ankleA = a.features.indexOf('ankle_dorsiflexion_angle_ipsi_rad');
    const ankleB = b.features.indexOf('ankle_dorsiflexion_angle_ipsi_rad');
    for (let p = 0; p < PHASES; p++) {
      expect(b.std[ankleB * PHASES + p]).toBeCloseTo(a.std[ankleA * PHASES + p], 9);
    }
    expect(comparison.features).not.toContain('knee_flexion_moment_ipsi_Nm_kg');
    expect(comparison.coverage).toEqual([
      { variable: 'hip_flexion_angle_contra_rad', present: [true, false], standard: true, suggestion: null },
      {
        variable: 'hip_flexion_angle_left_rad',
        present: [false, true],
        standard: false,
        suggestion: { name: 'hip_flexion_angle_contra_rad', needsConversion: false, presentIn: [true, false] }
      },
      { variable: 'knee_flexion_moment_ipsi_Nm_kg', present: [true, false], standard: true, suggestion: null }
    ]);
    const json = comparisonToJSON(comparison) as { coverage: Array<{ variable: string; missingFrom: string[] }> };
    expect(json.coverage.find(entry => entry.variable === 'knee_flexion_moment_ipsi_Nm_kg')!.missingFrom).toEqual([paths[1]]);
  });

  it('pools the subject x task groups exactly: equals the task analysed as one group', async () => {
    for (const options of [
      { nan: 'propagate', ddof: 0 },
      { nan: 'ignore', ddof: 1 }
    ] as IKernelOptions[]) {
      for (const name of ['compare_b.parquet', 'with_nans.parquet']) {
        const path = fixture(name);
        const task = name === 'with_nans.parquet' ? 'incline_walking' : 'run';
        const bySubject = await analyzeDataset(
          pool,
          { kind: 'file', path },
          { task, groupBy: 'subject-task' },
          { ...options, backend: 'wasm' }
        );
        const whole = await analyzeDataset(pool, { kind: 'file', path }, { task, groupBy: 'task' }, { ...options, backend: 'wasm' });
        expect(bySubject.groups.length).toBeGreaterThan(1);
        const pooled = datasetPattern({ name, result: bySubject }, task);
        const group = whole.groups[0];
        expect(pooled.cycles).toBe(group.cycles);
        expect(Array.from(pooled.count)).toEqual(Array.from(group.patterns.count));
        for (let i = 0; i < pooled.mean.length; i++) {
          const scale = Math.abs(group.patterns.mean[i]) + 1;
          for (const [got, want] of [
            [pooled.mean[i], group.patterns.mean[i]],
            [pooled.std[i], group.patterns.std[i]]
          ]) {
            if (Number.isNaN(want)) {
              expect(got).toBeNaN();
            } else {
              expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * scale);
            }
          }
        }
      }
    }
  });
});

describe('errors and edges', () => {
  it('a task missing from a file is a bad-argument error naming the file and its tasks', async () => {
    const paths = [fixture('compare_a.parquet'), fixture('compare_b.parquet')];
    const error = await analyzeComparison(paths, 'stair_ascent', access({ nan: 'ignore', ddof: 0 })).catch(e => e);
    expect(errorCode(error)).toBe('bad-argument');
    expect(error.message).toBe(`${paths[1]}: no task "stair_ascent" (tasks: level_walking, run)`);
  });

  it('a feature in no dataset is an error; one missing from a dataset is left out of the differences', async () => {
    const paths = [fixture('compare_a.parquet'), fixture('compare_b.parquet')];
    const options: IKernelOptions = { nan: 'ignore', ddof: 0 };
    await expect(analyzeComparison(paths, 'run', access(options), ['no_such_angle_rad'])).rejects.toMatchObject({
      code: 'missing-columns'
    });
    const comparison = await analyzeComparison(paths, 'run', access(options), [
      'knee_flexion_angle_ipsi_rad',
      'knee_flexion_moment_ipsi_Nm_kg'
    ]);
    expect(comparison.features).toEqual(['knee_flexion_angle_ipsi_rad']);
    expect(comparison.datasets[0].features).toEqual(['knee_flexion_angle_ipsi_rad', 'knee_flexion_moment_ipsi_Nm_kg']);
  });

  it('needs two datasets analysed with the same options', async () => {
    const path = fixture('compare_a.parquet');
    const a = await analyzeDataset(pool, { kind: 'file', path }, { task: 'run', groupBy: 'subject-task' }, { backend: 'wasm', ddof: 0 });
    const b = await analyzeDataset(pool, { kind: 'file', path }, { task: 'run', groupBy: 'subject-task' }, { backend: 'wasm', ddof: 1 });
    expect(() => compareDatasets([{ name: 'a', result: a }], 'run')).toThrow('at least two');
    expect(() =>
      compareDatasets(
        [
          { name: 'a', result: a },
          { name: 'b', result: b }
        ],
        'run'
      )
    ).toThrow('other options');
  });

  it('coverage: legacy names get the standard name they likely mean, and whether its values need converting', () => {
    const rows = variableCoverage([
      ['knee_flexion_angle_ipsi_rad', 'hip_angle_s_r', 'grf_vertical_ipsi_BW'],
      ['knee_flexion_angle_right_deg', 'hip_flexion_angle_ipsi_rad', 'grf_vertical_ipsi_BW']
    ]);
    expect(rows.map(row => row.variable)).toEqual([
      'hip_angle_s_r',
      'hip_flexion_angle_ipsi_rad',
      'knee_flexion_angle_ipsi_rad',
      'knee_flexion_angle_right_deg'
    ]);
    const row = (name: string) => rows.find(r => r.variable === name)!;
    expect(row('hip_angle_s_r').suggestion).toEqual({
      name: 'hip_flexion_angle_ipsi_rad',
      needsConversion: true,
      presentIn: [false, true]
    });
    expect(row('knee_flexion_angle_right_deg').suggestion).toEqual({
      name: 'knee_flexion_angle_ipsi_rad',
      needsConversion: true,
      presentIn: [true, false]
    });
    expect(row('hip_flexion_angle_ipsi_rad')).toEqual({
      variable: 'hip_flexion_angle_ipsi_rad',
      present: [false, true],
      standard: true,
      suggestion: null
    });
  });

  it('pattern differences: NaN policy, constant patterns, and tasks common to every file', () => {
    const x = Array.from({ length: PHASES }, (_, p) => Math.sin((2 * Math.PI * p) / PHASES));
    const y = x.map(v => 2 * v + 1);
    const d = patternDifference(x, y, 'propagate');
    expect(d.correlation).toBeCloseTo(1, 12);
    expect(d.meanDifference).toBeCloseTo(1, 12);
    const withGap = y.slice();
    withGap[3] = NaN;
    expect(patternDifference(x, withGap, 'propagate').rmse).toBeNaN();
    expect(patternDifference(x, withGap, 'ignore').correlation).toBeCloseTo(1, 12);
    expect(patternDifference(x, new Array(PHASES).fill(0.5), 'ignore').correlation).toBeNaN();
    expect(
      commonTasks([
        ['run', 'level_walking', 'stair_ascent'],
        ['level_walking', 'run']
      ])
    ).toEqual(['run', 'level_walking']);
  });
});
