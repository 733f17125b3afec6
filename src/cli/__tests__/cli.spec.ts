/**
 * The built CLI, run as a user runs it: `node dist/node/locolens.mjs inspect|analyze FILE [--json]`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fixture, kernelGolden, manifest, type IGoldenCase, type IKernelCase } from '../../../test/fixtures';

const CLI = join(process.cwd(), 'dist', 'node', 'locolens.mjs');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('locolens inspect', () => {
  it('prints the summary as JSON', () => {
    const expected = manifest()['multi_rowgroup.parquet'];
    const { code, stdout, stderr } = run('inspect', fixture('multi_rowgroup.parquet'), '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.file.rows).toBe(expected.rows);
    expect(summary.file.rowGroups).toBe(expected.row_groups);
    expect(summary.subjects).toEqual(expected.subjects);
    expect(summary.blocks.map((b: { cycles: number }) => b.cycles)).toEqual(expected.blocks.map(b => b.cycles));
    expect(summary.columns.length).toBe(expected.columns.length);
  });

  it('prints a readable table without --json', () => {
    const expected = manifest()['multi_rowgroup.parquet'];
    const { code, stdout } = run('inspect', fixture('multi_rowgroup.parquet'));
    expect(code).toBe(0);
    expect(stdout).toContain(`Subjects (${expected.subjects.length}): ${expected.subjects.join(', ')}`);
    expect(stdout).toContain(`${expected.rows.toLocaleString('en-US')} rows in ${expected.row_groups} row groups`);
    expect(stdout).toMatch(/conformance: conforms/);
    expect(stdout).toMatch(/^level_walking\s+level_0_8_m_s, level_1_2_m_s\s+3\s+\d+$/m);
  });

  it.each([
    ['empty.parquet', /the file is empty \(0 bytes\) \[empty-file\]/],
    ['random_bytes.parquet', /not a parquet file \(no PAR1 header\) \[not-parquet\]/],
    ['truncated.parquet', /truncated or damaged \[corrupt-parquet\]/],
    ['missing.parquet', /no such file \[file-not-found\]/]
  ])('%s: one clear line on stderr, exit 1, no stack trace', (name, message) => {
    const { code, stdout, stderr } = run('inspect', fixture(name), '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('explains its usage on a wrong command line', () => {
    const { code, stderr } = run('inspekt', 'x.parquet');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^locolens: unknown command inspekt\nusage: locolens inspect FILE/);
  });
});

describe('locolens analyze', () => {
  const SELECTION: IKernelCase = {
    id: 'cli',
    file: 'multi_rowgroup.parquet',
    subjects: ['UM21_AB01'],
    task: 'level_walking',
    ddof: 1,
    threshold: 1.5
  };
  type Values = Array<number | null>;
  interface IJsonGroup {
    task: string;
    subjects: string[];
    cycles: number;
    features: string[];
    perCycle: Record<string, Record<string, Values>>;
    patterns: Record<string, { mean: Values; std: Values }>;
    rom: Record<string, { overall: number | null; byCycle: Values }>;
    summary: Record<string, Record<string, number | null>>;
    outliers: { threshold: number; cut: number | null; cycles: number[]; rmse: Values };
    validation: { valid: boolean[]; reasons: number[] };
    correlations: { features: Values[]; phases: Values[][] | null };
  }

  let golden: IGoldenCase;
  beforeAll(() => {
    golden = kernelGolden([SELECTION]).cli;
  });

  /** |a − e| ≤ 1e-5 · max(|e|, scale), null (NaN) only against null. */
  function close(actual: Values, expected: Values, scale: number, what: string, out: string[]): void {
    expect([what, actual.length]).toEqual([what, expected.length]);
    expected.forEach((e, i) => {
      const a = actual[i];
      if (e === null || a === null ? a !== e : !(Math.abs(a - e) <= 1e-5 * Math.max(Math.abs(e), scale))) {
        out.push(`${what}[${i}]: ${a}, expected ${e}`);
      }
    });
  }

  it('prints every statistic as JSON, equal to numpy', () => {
    const { code, stdout, stderr } = run(
      'analyze',
      fixture(SELECTION.file),
      '--subject',
      'UM21_AB01',
      '--task',
      'level_walking',
      '--ddof',
      '1',
      '--threshold',
      '1.5',
      '--backend',
      'reference',
      '--json'
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.options).toEqual({ ddof: 1, nan: 'propagate', outlierThreshold: 1.5 });
    expect(result.selection.features).toEqual(golden.features);
    expect(result.groups).toHaveLength(1);
    const group: IJsonGroup = result.groups[0];
    const want = golden.groups[0];
    expect([group.task, group.subjects, group.cycles]).toEqual([want.task, want.subjects, want.cycles]);
    const C = want.cycles;
    const F = golden.features.length;
    const out: string[] = [];
    golden.features.forEach((name, f) => {
      const scale = want.scale[f];
      const slice = (values: Values, n: number) => values.slice(f * n, (f + 1) * n);
      for (const key of ['mean', 'std', 'min', 'max', 'rom'] as const) {
        close(group.perCycle[name][key], slice(want.perCycle[key], C), scale, `${name} perCycle.${key}`, out);
      }
      close(group.perCycle[name].peakTiming, slice(want.perCycle.peakTiming, C), 1, `${name} peakTiming`, out);
      close(group.patterns[name].mean, slice(want.patterns.mean, 150), scale, `${name} pattern mean`, out);
      close(group.patterns[name].std, slice(want.patterns.std, 150), scale, `${name} pattern std`, out);
      close([group.rom[name].overall], [want.romOverall[f]], scale, `${name} rom`, out);
      close(group.rom[name].byCycle, slice(want.perCycle.rom, C), scale, `${name} rom by cycle`, out);
      for (const key of ['mean', 'std', 'min', 'max', 'median', 'q25', 'q75'] as const) {
        close([group.summary[name][key]], [want.summary[key][f]], scale, `${name} summary.${key}`, out);
      }
    });
    const maxScale = Math.max(...want.scale);
    close(group.outliers.rmse, want.outliers.rmse, maxScale, 'rmse', out);
    close([group.outliers.cut], [want.outliers.cut], maxScale, 'cut', out);
    close(group.correlations.features.flat(), want.correlations.features, 1, 'correlations', out);
    close(group.correlations.phases!.flat(2), want.correlations.phases!, 1, 'phase correlations', out);
    expect(out).toEqual([]);
    expect(group.outliers.cycles).toEqual(want.outliers.cycles);
    expect(group.outliers.cycles.length).toBeGreaterThan(0);
    expect(group.validation).toEqual(want.validation);
    expect(group.correlations.features).toHaveLength(F);
  });

  it('gives the same numbers with --backend reference and --backend workers', () => {
    const args = ['analyze', fixture('many_cycles.parquet'), '--ddof', '1', '--json', '--workers', '2'];
    const reference = run(...args, '--backend', 'reference');
    const workers = run(...args, '--backend', 'workers');
    expect([reference.code, reference.stderr, workers.code, workers.stderr]).toEqual([0, '', 0, '']);
    const a = JSON.parse(reference.stdout);
    const b = JSON.parse(workers.stdout);
    expect([a.backend, b.backend]).toEqual(['reference', 'workers']);
    // Every number of the groups, in the same places, within 1e-5 relative, with an absolute floor of
    // 1e-5 × the feature's max |x| (the largest for RMSE, 1 for correlations).
    const scales: Record<string, number> = Object.fromEntries(
      Object.entries(a.groups[0].summary as Record<string, { min: number; max: number }>).map(([name, s]) => [
        name,
        Math.max(Math.abs(s.min), Math.abs(s.max))
      ])
    );
    const out: string[] = [];
    const walk = (x: unknown, y: unknown, path: string, scale: number): void => {
      if (typeof x === 'number' && typeof y === 'number') {
        if (!(Math.abs(x - y) <= 1e-5 * Math.max(Math.abs(x), scale))) {
          out.push(`${path}: ${y}, reference ${x}`);
        }
      } else if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') {
        expect([path, Object.keys(y)]).toEqual([path, Object.keys(x)]);
        for (const key of Object.keys(x)) {
          const next = key === 'correlations' ? 1 : (scales[key] ?? scale);
          walk((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], `${path}.${key}`, next);
        }
      } else if (x !== y) {
        out.push(`${path}: ${JSON.stringify(y)}, reference ${JSON.stringify(x)}`);
      }
    };
    walk(a.groups, b.groups, 'groups', Math.max(...Object.values(scales)));
    expect(out.slice(0, 20)).toEqual([]);
    expect(b.groups[0].cycles).toBe(320);
    expect(b.groups[0].outliers.cycles).toEqual(a.groups[0].outliers.cycles);
  });

  it('an unknown task: one clear line on stderr, exit 1', () => {
    const { code, stdout, stderr } = run('analyze', fixture('multi_rowgroup.parquet'), '--task', 'flying', '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/no task "flying" \(tasks: .*level_walking.*\)/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('--report: a row per subject × task, the block that is not a multiple of 150 a failed row with its reason', () => {
    const { code, stdout } = run('analyze', fixture('bad_cycle_count.parquet'), '--report', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const blocks = manifest()['bad_cycle_count.parquet'].blocks;
    expect(report.rows).toHaveLength(blocks.length);
    for (const block of blocks) {
      const row = report.rows.find((r: { subject: string; task: string }) => r.subject === block.subject && r.task === block.task);
      if (block.rows % 150) {
        expect(row.state).toBe('failed');
        expect(row.reason).toContain(`${block.rows} rows is not a multiple of 150`);
      } else {
        expect(row.state).toBe('ok');
        expect(row.cycles).toBe(block.cycles);
        expect(row.rom).toHaveLength(3);
      }
    }
    expect(report.romFeatures).toEqual(['hip_flexion_angle_ipsi_rad', 'knee_flexion_angle_ipsi_rad', 'ankle_dorsiflexion_angle_ipsi_rad']);
    const text = run('analyze', fixture('bad_cycle_count.parquet'), '--report').stdout;
    expect(text).toMatch(/rows \(1 failed\)/);
    expect(text).toMatch(/stair_ascent\s+failed\s+749 rows is not a multiple of 150/);
  });

  it('--report on a file with a damaged row group: the blocks it holds are failed rows with the reason, the others complete', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-cli-report-'));
    const path = join(folder, 'damaged.parquet');
    const python = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');
    // The first data page header of one variable in row group 12 of 25 is overwritten.
    const held = JSON.parse(
      execFileSync(
        python,
        [
          '-c',
          `
import json, shutil, sys, pyarrow.parquet as pq
source, path = sys.argv[1], sys.argv[2]
shutil.copy(source, path)
md = pq.ParquetFile(path).metadata
schema = md.schema.to_arrow_schema()
col = md.row_group(12).column(schema.get_field_index('knee_flexion_angle_ipsi_rad'))
with open(path, 'r+b') as f:
    f.seek(col.data_page_offset)
    f.write(bytes([0xA5]) * 24)
t = pq.read_table(source, columns=['subject', 'task'])
start = sum(md.row_group(i).num_rows for i in range(12))
rows = t.slice(start, md.row_group(12).num_rows)
print(json.dumps(sorted({(s, k) for s, k in zip(rows['subject'].to_pylist(), rows['task'].to_pylist())})))
`,
          fixture('multi_rowgroup.parquet'),
          path
        ],
        { encoding: 'utf8' }
      )
    ) as Array<[string, string]>;
    const { code, stdout } = run('analyze', path, '--report', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const blocks = manifest()['multi_rowgroup.parquet'].blocks;
    expect(report.rows).toHaveLength(blocks.length);
    for (const row of report.rows) {
      const damaged = held.some(([subject, task]) => subject === row.subject && task === row.task);
      expect(row.state).toBe(damaged ? 'failed' : 'ok');
      if (damaged) {
        // One line that says where, to the page: its header is checked before the decoder sees it.
        expect(row.reason).toMatch(/^[^\n]*row group 12, column "[^"]+", data page \d+: its header .*; the file is damaged there$/);
      } else {
        expect(row.cycles).toBeGreaterThan(0);
        expect(row.seconds).toBeGreaterThanOrEqual(0);
      }
    }
    expect(report.rows.filter((row: { state: string }) => row.state === 'ok').length).toBeGreaterThan(0);
  });

  it('a file cut in its middle (the footer intact) is refused before decoding: the column and row group declared past its end', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-cli-cut-'));
    const path = join(folder, 'cut.parquet');
    const bytes = readFileSync(fixture('multi_rowgroup.parquet'));
    const middle = Math.floor(bytes.length / 2);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, middle), bytes.subarray(middle + 1000)]));
    for (const command of ['inspect', 'analyze']) {
      const { code, stdout, stderr } = run(command, path);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(
        /^locolens: .*column "[^"]+" of row group \d+ declares bytes \d+–\d+, past the \d+ bytes of data the file holds; the file is truncated or damaged \[corrupt-parquet\]\n$/
      );
    }
  });

  it('the default backend chooses silently: nothing on stderr (no GPU probe without GPU device files)', () => {
    const { code, stdout, stderr } = run('analyze', fixture('multi_rowgroup.parquet'), '--task', 'level_walking', '--digest');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout).backend).toMatch(/^(wasm|webgpu)$/);
  });

  it('a file without a phase column is refused with the finding; --force analyses it with a warning', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-cli-phase-'));
    const path = join(folder, 'no_phase.parquet');
    const python = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');
    execFileSync(python, [
      '-c',
      'import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); pq.write_table(t.drop_columns(["phase_ipsi"]), sys.argv[2])',
      fixture('multi_rowgroup.parquet'),
      path
    ]);
    const refused = run('analyze', path, '--task', 'level_walking', '--json');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /required column "phase_ipsi" is missing.*LocoHub refuses such a file.*--force.*\[not-phase-indexed\]$/m
    );
    const forced = run('analyze', path, '--task', 'level_walking', '--json', '--force');
    expect(forced.code).toBe(0);
    const result = JSON.parse(forced.stdout);
    expect(result.warnings).toEqual([expect.stringMatching(/phase_ipsi.*analysed anyway \(forced\)/)]);
    // The same cycles and numbers as the file with its phase column.
    const standard = JSON.parse(run('analyze', fixture('multi_rowgroup.parquet'), '--task', 'level_walking', '--json').stdout);
    expect(result.groups[0].cycles).toBe(standard.groups[0].cycles);
    expect(result.groups[0].patterns.mean).toEqual(standard.groups[0].patterns.mean);
    expect(run('analyze', path, '--task', 'level_walking', '--force').stdout).toMatch(/warning: required column "phase_ipsi" is missing/);
  });

  it('--ddof 2 is a usage error, exit 2', () => {
    const { code, stdout, stderr } = run('analyze', fixture('multi_rowgroup.parquet'), '--ddof', '2');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^locolens: --ddof is 0 or 1\nusage: locolens inspect FILE/);
  });
});

describe('locolens analyze --profile', () => {
  it('writes per-stage times, sampled memory and CPU time as JSON, and prints a short table', () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-profile-'));
    const file = join(folder, 'profile.json');
    const { code, stdout, stderr } = run(
      'analyze',
      fixture('multi_rowgroup.parquet'),
      '--task',
      'level_walking',
      '--backend',
      'wasm',
      '--json',
      '--profile',
      file
    );
    expect(code).toBe(0);
    // stdout stays the analysis JSON; the table goes to stderr.
    expect(JSON.parse(stdout).backend).toBe('wasm');
    expect(stderr).toMatch(/^profile\s*$/m);
    expect(stderr).toMatch(/^peak RSS\s+\d/m);
    expect(stderr).toContain(`profile written to ${file}`);
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    expect(profile).toMatchObject({ schemaVersion: 1, tool: 'locolens', environment: 'node', result: { backend: 'wasm', cycles: 53 } });
    expect(profile.stages.map((stage: { name: string }) => stage.name)).toEqual(['summary', 'decode', 'kernels']);
    expect(profile.samples.length).toBeGreaterThanOrEqual(2);
    expect(profile.peak.rssBytes).toBeGreaterThan(10e6);
    expect(profile.cpu.userMs).toBeGreaterThan(0);
    expect(profile.totalMs).toBeGreaterThan(0);
  });
});

describe('locolens analyze: streaming and the cache folder', () => {
  it('streams under --memory-budget, reports progress, and reads --cache-dir the second time with the same numbers', () => {
    const cache = mkdtempSync(join(tmpdir(), 'locolens-cli-cache-'));
    const file = fixture('many_cycles.parquet');
    const first = run('analyze', file, '--json', '--memory-budget', '0.05', '--cache-dir', cache, '--progress');
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/decode · row groups \d+\/\d+ · .* read · cycles 320\/320/);
    const a = JSON.parse(first.stdout);
    expect(a.memory.mode).toBe('streamed');
    expect(a.tensorSource).toBe('parquet');
    const second = run('analyze', file, '--json', '--memory-budget', '0.05', '--cache-dir', cache);
    const b = JSON.parse(second.stdout);
    expect(b.tensorSource).toBe('store');
    expect(b.groups).toEqual(a.groups);
    const inMemory = JSON.parse(run('analyze', file, '--json').stdout);
    expect(inMemory.memory.mode).toBe('in-memory');
    // The merged moments differ from the whole-tensor ones only by rounding.
    type Outliers = { outliers: { cycles: number[]; rmse: number[] } };
    expect(inMemory.groups.map((g: Outliers) => g.outliers.cycles)).toEqual(a.groups.map((g: Outliers) => g.outliers.cycles));
    inMemory.groups.forEach((g: Outliers, i: number) =>
      g.outliers.rmse.forEach((value, c) => expect(Math.abs(value - a.groups[i].outliers.rmse[c])).toBeLessThan(1e-6 * Math.abs(value)))
    );
  });

  it('--memory-budget 0 is a usage error', () => {
    const { code, stderr } = run('analyze', fixture('many_cycles.parquet'), '--memory-budget', '0');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--memory-budget takes a number of megabytes/);
  });
});

describe('the version in cache keys', () => {
  it('is the package version', async () => {
    const { LOCOLENS_VERSION } = await import('../../core/version');
    expect(LOCOLENS_VERSION).toBe(JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).version);
  });
});
