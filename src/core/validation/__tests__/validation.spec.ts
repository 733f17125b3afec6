/**
 * LocoHub's validation: range YAML read as its config manager reads it (line-numbered errors for
 * malformed files), written back so PyYAML reads the same numbers, and `locolens validate` (the
 * built CLI, the worker pool) against an independent pandas + PyYAML implementation of LocoHub's
 * rules (test/expected_validation.py) on fixtures with known violations; the clean file read back
 * with pandas; ranges suggested from the data against numpy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fixture } from '../../../../test/fixtures';
import { LocolensError } from '../../errors';
import { formatValidationRanges, parseValidationRanges, phaseIndex, yamlNumber } from '../ranges';
import { suggestRange } from '../suggest';
import { cleanFilePath } from '../validate-file';
import { validateTask, validationLabel, type ITaskSamples } from '../validator';

const CLI = join(process.cwd(), 'dist', 'node', 'locolens.mjs');
const PYTHON = process.env.PYTHON_BIN || join(process.cwd(), '.venv', 'bin', 'python');
const ORACLE = join(process.cwd(), 'test', 'expected_validation.py');
const RANGES = join(process.cwd(), 'test', 'validation-ranges');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function oracle(...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(PYTHON, [ORACLE, ...args], { encoding: 'utf8' }));
}

describe('ranges YAML', () => {
  it('maps phase percents to sample indices as Python rounds them (halves to even)', () => {
    expect([0, 15, 25, 50, 65, 75, 100].map(phaseIndex)).toEqual([0, 22, 37, 74, 97, 112, 149]);
  });

  it('reads the layout 2.0 file: quoted phase keys, null bounds, reversed bounds and .inf kept as written', () => {
    const ranges = parseValidationRanges(readFileSync(join(RANGES, 'ranges_valid.yaml'), 'utf8'));
    expect([...ranges.tasks.keys()]).toEqual(['level_walking', 'incline_walking', 'run']);
    const level = ranges.tasks.get('level_walking')!;
    expect([...level.phases.keys()]).toEqual([0, 15, 25, 50, 65, 75]);
    expect(level.phases.get(25)!.get('ankle_dorsiflexion_angle_contra_rad')!.min).toBeNull();
    const reversed = level.phases.get(65)!.get('hip_flexion_angle_ipsi_rad')!;
    expect(reversed.min! > reversed.max!).toBe(true);
    expect(ranges.tasks.get('incline_walking')!.phases.get(0)!.get('knee_flexion_angle_ipsi_rad')!.max).toBe(Infinity);
    expect(ranges.header.version).toBe('2.0');
  });

  it('reads a legacy ipsi-only file as LocoHub does (PyYAML and the config manager, in Python)', () => {
    const text = readFileSync(join(RANGES, 'ranges_legacy_ipsi.yaml'), 'utf8');
    const ranges = parseValidationRanges(text);
    const expected = oracle('yaml', join(RANGES, 'ranges_legacy_ipsi.yaml')) as Record<string, Record<string, Record<string, unknown[]>>>;
    const ours: Record<string, Record<string, Record<string, unknown[]>>> = {};
    for (const [task, { phases }] of ranges.tasks) {
      ours[task] = {};
      for (const [phase, variables] of phases) {
        ours[task][String(phase)] = Object.fromEntries([...variables].map(([name, range]) => [name, [range.min, range.max]]));
      }
    }
    expect(ours).toEqual(expected);
    // The contra range at 0 % comes from the ipsi range at 50 %; the written one at 25 % is ignored; '62.9' is phase 62.
    expect(ranges.tasks.get('level_walking')!.phases.get(0)!.get('hip_flexion_angle_contra_rad')).toEqual({ min: -0.3, max: 0.05 });
    expect(ranges.tasks.get('incline_walking')!.phases.has(62)).toBe(true);
    expect(ranges.warnings).toEqual([
      'legacy name vertical_grf_ipsi_BW read as grf_vertical_ipsi_BW',
      'task level_walking: 1 explicit _contra range(s) ignored (contralateral_offset makes them from the ipsi ranges)'
    ]);
  });

  it.each([
    ['malformed_phase.yaml', /^malformed_phase\.yaml, line 7: phase "abc" of task level_walking is not a number$/],
    ['malformed_phase_range.yaml', /^malformed_phase_range\.yaml, line 5: phase 120 of task level_walking is out of range/],
    [
      'malformed_range.yaml',
      /^malformed_range\.yaml, line 7: knee_flexion_angle_ipsi_rad at phase 0 .* must be a mapping with min and max$/
    ],
    ['malformed_bound.yaml', /^malformed_bound\.yaml, line 7: min of hip_flexion_angle_ipsi_rad must be a number or null, not "low"$/],
    ['malformed_syntax.yaml', /^malformed_syntax\.yaml, line 7: not valid YAML/]
  ])('%s: a bad-argument error naming its line', (name, message) => {
    let error: unknown;
    try {
      parseValidationRanges(readFileSync(join(RANGES, name), 'utf8'), name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LocolensError);
    expect((error as LocolensError).code).toBe('bad-argument');
    expect((error as LocolensError).message).toMatch(message);
  });

  it('writes numbers PyYAML reads back equal (a dot and a signed exponent, .nan, .inf), names quoted where YAML 1.1 would misread them', () => {
    expect(yamlNumber(1e-7)).toBe('1.0e-7');
    expect(yamlNumber(2)).toBe('2.0');
    expect(yamlNumber(-0.125)).toBe('-0.125');
    const ranges = parseValidationRanges(readFileSync(join(RANGES, 'ranges_valid.yaml'), 'utf8'));
    const level = ranges.tasks.get('level_walking')!;
    level.phases.get(0)!.set('knee_flexion_angle_ipsi_rad', { min: 1e-7, max: 1.5e21 });
    level.phases.get(0)!.set('hip_flexion_angle_ipsi_rad', { min: -Infinity, max: 0.30000000000000004 });
    ranges.tasks.set('no', {
      metadata: { note: 'a "quoted" word: yes' },
      phases: new Map([[50, new Map([['on', { min: null, max: 1 }]])]])
    });
    const folder = mkdtempSync(join(tmpdir(), 'locolens-ranges-'));
    const path = join(folder, 'written.yaml');
    writeFileSync(path, formatValidationRanges(ranges, { generated: '2026-11-30 10:00:00' }));
    const python = oracle('yaml', path) as Record<string, Record<string, Record<string, unknown[]>>>;
    expect(python.level_walking['0'].knee_flexion_angle_ipsi_rad).toEqual([1e-7, 1.5e21]);
    expect(python.level_walking['0'].hip_flexion_angle_ipsi_rad).toEqual(['-inf', 0.30000000000000004]);
    expect(python.no['50'].on).toEqual([null, 1]);
    // And we read our own file back to the same ranges.
    const again = parseValidationRanges(readFileSync(path, 'utf8'));
    expect(again.tasks.get('level_walking')!.phases.get(0)!.get('knee_flexion_angle_ipsi_rad')).toEqual({ min: 1e-7, max: 1.5e21 });
    expect(again.tasks.get('no')!.metadata).toEqual({ note: 'a "quoted" word: yes' });
  });
});

describe('validator rules', () => {
  const samples = (values: number[]): ITaskSamples => ({
    task: 't',
    strides: values.length,
    strideSubjects: new Int32Array(values.length),
    strideCycles: Int32Array.from(values.keys()),
    subjects: ['S'],
    variables: ['v'],
    phases: [50],
    phaseIndices: [74],
    values: Float64Array.from(values)
  });
  const ranges = (min: number | null, max: number | null) => ({ metadata: {}, phases: new Map([[50, new Map([['v', { min, max }]])]]) });

  it('bounds are inclusive, reversed bounds swapped, NaN and ±inf skipped, a null bound skips the range but counts its checks', () => {
    const values = [0, 1, 0.5, -0.01, 1.01, NaN, Infinity];
    expect(validateTask(samples(values), ranges(0, 1)).violations.get('v')).toEqual([3, 4]);
    expect(validateTask(samples(values), ranges(1, 0)).violations.get('v')).toEqual([3, 4]);
    const skipped = validateTask(samples(values), ranges(null, 1));
    expect(skipped.violationCount).toBe(0);
    expect(skipped.checks).toBe(values.length);
    expect([0.9, 0.89, 0.7, 0.69].map(validationLabel)).toEqual(['pass', 'partial', 'partial', 'needs-review']);
  });

  it('names the clean file as LocoHub does', () => {
    expect(cleanFilePath('a/umich_2021_phase_dirty.parquet')).toBe('a/umich_2021_phase_clean.parquet');
    expect(cleanFilePath('x_raw.parquet')).toBe('x_clean.parquet');
    expect(cleanFilePath('/d/gait_phase.parquet')).toBe('/d/gait_phase_clean.parquet');
  });
});

describe('locolens validate', () => {
  const cases: Array<[string, string, string[]]> = [
    ['multi_rowgroup.parquet', 'ranges_valid.yaml', []],
    ['multi_rowgroup.parquet', 'ranges_legacy_ipsi.yaml', []],
    ['multi_rowgroup.parquet', 'ranges_valid.yaml', ['knee_flexion_angle_contra_rad']],
    ['with_nans.parquet', 'ranges_valid.yaml', []],
    ['bad_cycle_count.parquet', 'ranges_valid.yaml', []],
    ['tiny_snappy.parquet', 'ranges_legacy_ipsi.yaml', []],
    ['one_cycle.parquet', 'ranges_valid.yaml', []],
    ['dictionary_strings.parquet', 'ranges_valid.yaml', []]
  ];

  it.each(cases)('%s against %s (excluding %j) equals the independent Python rules', (file, rangesName, exclude) => {
    const extra = exclude.length ? ['--exclude-columns', exclude.join(',')] : [];
    const { code, stdout, stderr } = cli('validate', fixture(file), '--ranges', join(RANGES, rangesName), '--json', ...extra);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const ours = JSON.parse(stdout);
    const expected = oracle(
      'validate',
      fixture(file),
      join(RANGES, rangesName),
      ...(exclude.length ? ['--exclude', exclude.join(',')] : [])
    );
    const stats = { ...ours.stats };
    delete stats.num_tasks;
    expect(stats).toEqual(expected.stats);
    expect(ours.violations).toEqual(expected.violations);
    expect(ours.phase_valid).toBe(expected.phase_valid);
    expect(ours.phase_message).toBe(expected.phase_message);
    expect(ours.quality_gate_passed).toBe(expected.quality_gate_passed);
    const expectedTasks = expected.tasks as Record<string, { total_strides: number; failing_strides: number }>;
    for (const [task, figures] of Object.entries(expectedTasks)) {
      expect([task, ours.tasks[task].total_strides, ours.tasks[task].failing_strides]).toEqual([
        task,
        figures.total_strides,
        figures.failing_strides
      ]);
    }
    expect(stats.total_checks).toBeGreaterThan(0);
  });

  it('prints a readable report: pass rates, labels, the gate and the violations', () => {
    const { code, stdout } = cli('validate', fixture('bad_cycle_count.parquet'), '--ranges', join(RANGES, 'ranges_valid.yaml'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/Task 'stair_ascent' has 1949 points, not divisible by 150/);
    expect(stdout).toMatch(/quality gate \(stride pass rate ≥ 90 %\): failed/);
    expect(stdout).toMatch(/^incline_walking\s+\d+\s+\d+\s+[\d.]+ %\s+(✅|⚠️ PARTIAL|❌ NEEDS REVIEW)/m);
  });

  it('a malformed ranges file: one line naming the line, exit 1', () => {
    const { code, stdout, stderr } = cli('validate', fixture('tiny_snappy.parquet'), '--ranges', join(RANGES, 'malformed_phase.yaml'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(
      'locolens: validate: malformed_phase.yaml, line 7: phase "abc" of task level_walking is not a number [bad-argument]'
    );
  });

  it.each([[[]], [['ankle_dorsiflexion_angle_contra_rad']]])(
    '--clean (excluding %j) writes the passing strides, read back by pandas equal to the rows LocoHub keeps',
    exclude => {
      const folder = mkdtempSync(join(tmpdir(), 'locolens-clean-'));
      const source = join(folder, 'gait_phase_dirty.parquet');
      copyFileSync(fixture('multi_rowgroup.parquet'), source);
      const extra = exclude.length ? ['--exclude-columns', exclude.join(',')] : [];
      const { code, stdout } = cli('validate', source, '--ranges', join(RANGES, 'ranges_legacy_ipsi.yaml'), '--clean', '--json', ...extra);
      expect(code).toBe(0);
      const ours = JSON.parse(stdout);
      const clean = join(folder, 'gait_phase_clean.parquet');
      const check = oracle(
        'clean',
        source,
        join(RANGES, 'ranges_legacy_ipsi.yaml'),
        clean,
        ...(exclude.length ? ['--exclude', exclude.join(',')] : [])
      );
      expect(check.equal).toBe(true);
      // Strides of a task the ranges do not name (stair_ascent) pass whole.
      expect(check.rows).toBe(ours.clean.kept_strides * 150);
      expect(ours.clean.removed_strides).toBe(ours.stats.total_failing_strides);
      expect(ours.clean.kept_strides + ours.clean.removed_strides).toBe(24600 / 150);
      expect(ours.clean.removed_strides).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(join(folder, 'gait_phase_clean_report.json'), 'utf8')).kept_rows).toBe(check.rows);
      // Nothing half-written left behind.
      expect(readdirSync(folder).sort()).toEqual(['gait_phase_clean.parquet', 'gait_phase_clean_report.json', 'gait_phase_dirty.parquet']);
    }
  );

  it('--clean with an unknown excluded column fails before writing anything', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-clean-'));
    const source = join(folder, 'a.parquet');
    copyFileSync(fixture('tiny_snappy.parquet'), source);
    const { code, stderr } = cli('validate', source, '--ranges', join(RANGES, 'ranges_valid.yaml'), '--clean', '--exclude-columns', 'nope');
    expect(code).toBe(1);
    expect(stderr).toMatch(/no column "nope" to exclude \[missing-columns\]/);
    expect(existsSync(join(folder, 'a_clean.parquet'))).toBe(false);
  });

  it('--suggest writes ranges equal to numpy for each method, that PyYAML reads', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-suggest-'));
    for (const method of ['percentile_95', 'mean_3std', 'iqr_expansion', 'percentile_90', 'conservative']) {
      const out = join(folder, `${method}.yaml`);
      const { code, stderr } = cli('validate', fixture('multi_rowgroup.parquet'), '--suggest', method, '--write-ranges', out);
      expect([code, stderr]).toEqual([0, expect.stringContaining(`wrote ${out}`)]);
      const python = oracle('yaml', out) as Record<string, Record<string, Record<string, number[]>>>;
      const expected = oracle(
        'suggest',
        fixture('multi_rowgroup.parquet'),
        'incline_walking',
        '65',
        'knee_flexion_angle_ipsi_rad'
      ) as Record<string, number[]>;
      const got = python.incline_walking['65'].knee_flexion_angle_ipsi_rad;
      expect(got[0]).toBeCloseTo(expected[method][0], 12);
      expect(got[1]).toBeCloseTo(expected[method][1], 12);
      expect(Object.keys(python).sort()).toEqual(['incline_walking', 'level_walking', 'stair_ascent']);
    }
    // Validating against percentile_90 ranges of the same data: every stride has 5 % tails to fail.
    const { stdout } = cli('validate', fixture('multi_rowgroup.parquet'), '--ranges', join(folder, 'percentile_90.yaml'), '--json');
    expect(JSON.parse(stdout).stats.total_violations).toBeGreaterThan(0);
  });

  it('suggestRange leaves non-finite values out', () => {
    expect(suggestRange([1, 2, NaN, 3, Infinity], 'conservative')).toEqual({ min: 0.9, max: 3.1 });
    expect(suggestRange([NaN], 'mean_3std')).toEqual({ min: null, max: null });
  });
});
