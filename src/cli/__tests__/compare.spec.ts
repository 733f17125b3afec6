/**
 * `locolens compare`, the built CLI run as a subprocess: its JSON against numpy
 * (test/expected_comparison.py), the readable table, and its errors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fixture } from '../../../test/fixtures';

const CLI = join(process.cwd(), 'dist', 'node', 'locolens.mjs');
const python = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const A = fixture('compare_a.parquet');
const B = fixture('compare_b.parquet');

interface IJson {
  task: string;
  reference: string;
  options: { ddof: number; nan: string };
  datasets: Array<{ name: string; subjectCount: number; cycles: number; patterns: Record<string, { mean: Array<number | null> }> }>;
  features: string[];
  differences: Array<{ feature: string; against: Array<{ dataset: string; meanDifference: number; rmse: number; correlation: number }> }>;
  coverage: Array<{ variable: string; missingFrom: string[]; suggestion: { name: string } | null }>;
}

describe('locolens compare', () => {
  it('--json: counts, differences and coverage equal numpy', () => {
    const { code, stdout, stderr } = run('compare', A, B, '--task', 'run', '--ddof', '1', '--nan', 'ignore', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json: IJson = JSON.parse(stdout);
    expect(json.task).toBe('run');
    expect(json.reference).toBe(A);
    expect(json.options).toEqual({ ddof: 1, nan: 'ignore' });
    const expected = JSON.parse(
      execFileSync(python, ['test/expected_comparison.py', `${A},${B}`, 'run', json.features.join(','), 'ignore', '1'], {
        encoding: 'utf8'
      })
    );
    json.datasets.forEach((dataset, d) => {
      expect(dataset.subjectCount).toBe(expected.datasets[d].subjects.length);
      expect(dataset.cycles).toBe(expected.datasets[d].cycles);
    });
    expect(json.features).toEqual([
      'hip_flexion_angle_ipsi_rad',
      'knee_flexion_angle_ipsi_rad',
      'ankle_dorsiflexion_angle_ipsi_rad',
      'grf_vertical_ipsi_BW'
    ]);
    for (const difference of json.differences) {
      const want = expected.differences[difference.feature][0];
      const got = difference.against[0];
      expect(got.dataset).toBe(B);
      expect(Math.abs(got.meanDifference - want.mean_difference)).toBeLessThan(1e-6);
      expect(Math.abs(got.rmse - want.rmse)).toBeLessThan(1e-6);
      expect(Math.abs(got.correlation - want.r)).toBeLessThan(1e-6);
    }
    const knee = json.differences.find(difference => difference.feature === 'knee_flexion_angle_ipsi_rad')!.against[0];
    expect(knee.meanDifference).toBeCloseTo(0.1, 6);
    expect(knee.rmse).toBeCloseTo(0.1, 6);
    const moment = json.coverage.find(row => row.variable === 'knee_flexion_moment_ipsi_Nm_kg')!;
    expect(moment.missingFrom).toEqual([B]);
    expect(json.coverage.find(row => row.variable === 'hip_flexion_angle_left_rad')!.suggestion!.name).toBe('hip_flexion_angle_contra_rad');
  });

  it('prints a readable table: counts, one row per feature and pair, coverage with suggestions', () => {
    const { code, stdout } = run(
      'compare',
      A,
      B,
      '--task',
      'level_walking',
      '--features',
      'knee_flexion_angle_ipsi_rad,knee_flexion_moment_ipsi_Nm_kg'
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`Task level_walking: 2 datasets · reference ${A} · SD ddof 0 · NaN propagate`);
    expect(stdout).toMatch(new RegExp(`^${A.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+3\\s+\\d+\\s+-$`, 'm'));
    expect(stdout).toMatch(/^knee_flexion_angle_ipsi_rad\s+\S+compare_b\.parquet\s+0\.1000\s+0\.1000\s+1\.000$/m);
    expect(stdout).not.toMatch(/^knee_flexion_moment_ipsi_Nm_kg\s+\S+compare_b/m);
    expect(stdout).toMatch(/^knee_flexion_moment_ipsi_Nm_kg\s+yes\s+missing\s+-$/m);
    expect(stdout).toMatch(/^hip_flexion_angle_left_rad\s+missing\s+yes\s+hip_flexion_angle_contra_rad — in \S+compare_a\.parquet$/m);
  });

  it('--memory-budget: groups streamed through a scratch store give the same numbers', () => {
    const whole = run('compare', A, B, '--task', 'run', '--nan', 'ignore', '--json');
    const streamed = run('compare', A, B, '--task', 'run', '--nan', 'ignore', '--json', '--memory-budget', '0.005');
    expect(streamed.stderr).toBe('');
    expect(streamed.code).toBe(0);
    const [a, b] = [JSON.parse(whole.stdout), JSON.parse(streamed.stdout)];
    expect(b.differences).toEqual(a.differences);
    expect(b.datasets.map((d: { patterns: unknown }) => d.patterns)).toEqual(a.datasets.map((d: { patterns: unknown }) => d.patterns));
  });

  it('--cache-dir: the decoded tensors are kept, and the second run reads them with the same numbers', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-compare-cache-'));
    try {
      const first = run('compare', A, B, '--task', 'level_walking', '--json', '--cache-dir', folder);
      expect(first.code).toBe(0);
      expect(readdirSync(folder, { recursive: true }).length).toBeGreaterThan(0);
      const second = run('compare', A, B, '--task', 'level_walking', '--json', '--cache-dir', folder);
      expect(second.code).toBe(0);
      const [before, after] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
      expect(before.datasets.map((d: { analysis: { tensorSource: string } }) => d.analysis.tensorSource)).toEqual(['parquet', 'parquet']);
      expect(after.datasets.map((d: { analysis: { tensorSource: string } }) => d.analysis.tensorSource)).toEqual(['store', 'store']);
      expect(after.differences).toEqual(before.differences);
      expect(after.datasets.map((d: { patterns: unknown }) => d.patterns)).toEqual(
        before.datasets.map((d: { patterns: unknown }) => d.patterns)
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a task missing from a file: exit 1, one line naming the file, its tasks and the code', () => {
    const { code, stdout, stderr } = run('compare', A, B, '--task', 'stair_ascent');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`locolens: compare: ${B}: no task "stair_ascent" (tasks: level_walking, run) [bad-argument]\n`);
  });

  it('a wrong command line exits 2 with the usage', () => {
    for (const args of [
      ['compare', A, '--task', 'run'],
      ['compare', A, B],
      ['compare', A, B, '--task', 'run', '--ddof', '2']
    ]) {
      const { code, stderr } = run(...args);
      expect(code).toBe(2);
      expect(stderr).toContain('usage: locolens compare A.parquet B.parquet');
    }
  });
});
