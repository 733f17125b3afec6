#!/usr/bin/env node
/**
 * The validation benchmark (`npm run bench:validation`, part of `make bench`): LocoHub's range
 * validation, the tuner's edit and the clean file, locolens against pyarrow + numpy on the same
 * files in one run, with an agreement check. A benchmark, never a timed test.
 *
 *   node scripts/bench-validation.mjs [--quick] [--out artifacts/bench]
 *
 * Per file (the 10,000-stride Galata file; data/locolens_bench_phase.parquet; the LocoHub-shaped
 * 1 GB data/locolens_locohub_phase.parquet, left out with --quick):
 *   - ranges suggested from the data (`locolens validate --suggest percentile_95`);
 *   - validation against them: `locolens validate --json` (wall, with Node's start) against the
 *     rules vectorised in numpy over pyarrow's needed columns (scripts/bench_validation_baseline.py,
 *     its own timer); the stride, check and violation counts must agree;
 *   - the tuner's edit: a bound changed and the largest task re-checked, 200 times (`--time-edits`);
 *   - the clean file: `locolens validate --clean` against LocoHub's cleaner as its script does it
 *     (the whole file in pandas), wall time and peak memory (GNU time's maximum RSS).
 * Prints a Markdown table and writes bench-validation-<date>.json under --out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outAt = args.indexOf('--out');
const outDir = resolve(outAt >= 0 ? args[outAt + 1] : join('artifacts', 'bench'));
const python = resolve('.venv', 'bin', 'python');
const cli = resolve('dist', 'node', 'locolens.mjs');
const files = [
  'ui-tests/.galata-data/large/ten_thousand_cycles.parquet',
  'data/locolens_bench_phase.parquet',
  ...(quick ? [] : ['data/locolens_locohub_phase.parquet'])
].filter(path => existsSync(path));

/** Run a command under GNU time: wall seconds, peak RSS (MB), stdout, stderr. */
function timed(command, commandArgs) {
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', 'LOCOLENS_MAXRSS_KB=%M', command, ...commandArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 28
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
  const rss = /LOCOLENS_MAXRSS_KB=(\d+)/.exec(result.stderr);
  return { wallSeconds, peakMB: rss ? Number(rss[1]) / 1024 : null, stdout: result.stdout, stderr: result.stderr };
}

const lastJson = text =>
  JSON.parse(
    text
      .trim()
      .split('\n')
      .filter(line => line.startsWith('{'))
      .pop()
  );

const scratch = mkdtempSync(join(tmpdir(), 'locolens-bench-validation-'));
const rows = [];
try {
  for (const file of files) {
    const name = file.split('/').pop();
    const sizeMB = statSync(file).size / 1e6;
    const ranges = join(scratch, `${name}.ranges.yaml`);
    const suggest = timed(process.execPath, [cli, 'validate', file, '--suggest', 'percentile_95', '--write-ranges', ranges]);
    const ours = timed(process.execPath, [cli, 'validate', file, '--ranges', ranges, '--json', '--time-edits', '200']);
    const result = JSON.parse(ours.stdout);
    const edits = lastJson(ours.stderr);
    const baseline = lastJson(timed(python, ['scripts/bench_validation_baseline.py', 'validate', file, ranges]).stdout);
    for (const key of ['total_strides', 'total_failing_strides', 'total_checks', 'total_violations']) {
      if (result.stats[key] !== baseline.stats[key]) {
        throw new Error(`${name}: ${key} ${result.stats[key]} (locolens) ≠ ${baseline.stats[key]} (numpy)`);
      }
    }
    const cleanOurs = timed(process.execPath, [
      cli,
      'validate',
      file,
      '--ranges',
      ranges,
      '--clean',
      '--out',
      join(scratch, `${name}.clean.parquet`),
      '--json'
    ]);
    const cleanBaseline = timed(python, [
      'scripts/bench_validation_baseline.py',
      'clean',
      file,
      ranges,
      join(scratch, `${name}.baseline-clean.parquet`)
    ]);
    const keptOurs = JSON.parse(cleanOurs.stdout).clean.kept_rows;
    const keptBaseline = lastJson(cleanBaseline.stdout).rows;
    if (keptOurs !== keptBaseline) {
      throw new Error(`${name}: clean rows ${keptOurs} (locolens) ≠ ${keptBaseline} (pandas)`);
    }
    rows.push({
      file: name,
      sizeMB,
      strides: result.stats.total_strides,
      checks: result.stats.total_checks,
      passRate: result.stats.pass_rate,
      suggestSeconds: suggest.wallSeconds,
      validateSeconds: ours.wallSeconds,
      baselineSeconds: baseline.seconds,
      edit: edits,
      cleanSeconds: cleanOurs.wallSeconds,
      cleanPeakMB: cleanOurs.peakMB,
      cleanBaselineSeconds: cleanBaseline.wallSeconds,
      cleanBaselinePeakMB: cleanBaseline.peakMB,
      keptRows: keptOurs
    });
    console.error(`bench-validation: ${name} done`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const f = (x, digits = 2) => (x === null || x === undefined ? '–' : x.toFixed(digits));
const lines = [
  `Validation benchmark, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
  '',
  '| file | strides × checks | validate (locolens, wall) | numpy baseline | ratio | tuner edit, median / p95 / max | clean file (locolens) | LocoHub cleaner (pandas) | ratio |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    row =>
      `| ${row.file} (${f(row.sizeMB, 0)} MB) | ${row.strides.toLocaleString('en-US')} × ${row.edit.checks_per_stride} | ${f(row.validateSeconds)} s | ${f(row.baselineSeconds)} s | ${f(row.baselineSeconds / row.validateSeconds)}× | ${f(row.edit.median_ms)} / ${f(row.edit.p95_ms)} / ${f(row.edit.max_ms)} ms (${row.edit.strides.toLocaleString('en-US')} strides) | ${f(row.cleanSeconds)} s, ${f(row.cleanPeakMB, 0)} MB peak | ${f(row.cleanBaselineSeconds)} s, ${f(row.cleanBaselinePeakMB, 0)} MB peak | ${f(row.cleanBaselineSeconds / row.cleanSeconds)}× |`
  )
];
console.log(lines.join('\n'));
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `bench-validation-${new Date().toISOString().slice(0, 10)}.json`), `${JSON.stringify({ rows }, null, 2)}\n`);
