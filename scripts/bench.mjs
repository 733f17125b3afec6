#!/usr/bin/env node
/**
 * The benchmark suite (`make bench`): locolens against the Python baseline and DuckDB on the same
 * files, in one run, with agreement checks, ratios, peak memory and bytes read. A benchmark,
 * never a timed test.
 *
 *   node scripts/bench.mjs [--quick] [--out artifacts/bench]
 *
 * Per file (data/locolens_bench_phase.parquet, ~1.3 M rows, float32 zstd; the LocoHub-shaped
 * data/locolens_locohub_phase.parquet, 1 GB float64 snappy in ~0.8 M-row row groups, and
 * data/locolens_large_phase.parquet, 2 GB; the last two left out with --quick), all subjects ×
 * tasks, per-cycle features, mean/SD patterns, outliers, feature correlations:
 *   (a)  pyarrow + numpy, the LocoHub user's recipe (scripts/bench_baseline.py);
 *   (a2) DuckDB with SQL (scripts/bench-duckdb.mjs), Polars (scripts/bench_polars.py) and the
 *        seed guide's per-cycle pandas recipe (scripts/bench_seed.py, extrapolated past 20 s);
 *   (b)  the locolens CLI on each CPU backend (and WebGPU on a hardware adapter), cold, and warm
 *        from its tensor store (--cache-dir); its summary (`inspect`);
 *   (c)  locolens in headless Chromium through the extension, cold and warm after a reload
 *        (scripts/bench-browser.mjs);
 *   (d)  a memory-bandwidth probe (a large typed-array copy).
 * The digests of (a), (a2), (b) and (c) must agree (outlier counts exactly, sums to 1e-6).
 * Writes bench-<date>.json and bench-<date>.png (plotly, drawn in Chromium) under --out and
 * prints a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outAt = args.indexOf('--out');
const outDir = resolve(outAt >= 0 ? args[outAt + 1] : join('artifacts', 'bench'));
const python = resolve('.venv', 'bin', 'python');
const cli = resolve('dist', 'node', 'locolens.mjs');
const files = [
  { preset: 'bench', path: 'data/locolens_bench_phase.parquet' },
  ...(quick
    ? []
    : [
        { preset: 'locohub', path: 'data/locolens_locohub_phase.parquet' },
        { preset: 'large', path: 'data/locolens_large_phase.parquet' }
      ])
];

function run(command, commandArgs, options = {}) {
  const started = performance.now();
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
  return { stdout: result.stdout, stderr: result.stderr, wallSeconds };
}
const lastJson = text =>
  JSON.parse(
    text
      .trim()
      .split('\n')
      .filter(line => line.startsWith('{'))
      .pop()
  );
const log = text => process.stderr.write(`${text}\n`);

/** (d) The memory-bandwidth probe: copy 512 MB between typed arrays, best of 5. */
function bandwidthProbe() {
  const n = 128 * 1024 * 1024;
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    b.set(a);
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  // A copy reads and writes every byte.
  return { bytes: n * 4, seconds: best, copyGBs: (n * 4) / best / 1e9, readWriteGBs: (2 * n * 4) / best / 1e9 };
}

function locolensCli(file, backend, extra = []) {
  const profile = join(tmpdir(), `locolens-bench-${process.pid}-${backend}.json`);
  const { stdout, wallSeconds } = run(process.execPath, [
    cli,
    'analyze',
    file,
    '--by',
    'subject-task',
    '--no-phase-correlations',
    '--digest',
    '--backend',
    backend,
    '--profile',
    profile,
    ...extra
  ]);
  const digest = lastJson(stdout);
  const recorded = JSON.parse(readFileSync(profile, 'utf8'));
  rmSync(profile, { force: true });
  return {
    tool: `locolens CLI (${backend})`,
    wallSeconds,
    seconds: { total: digest.timings.totalMs / 1000 },
    peakRssBytes: recorded.peak.rssBytes,
    digest
  };
}

function agree(reference, other) {
  const problems = [];
  // A partial digest (the seed recipe's) has its groups and cycles only.
  for (const key of other.partial ? ['groups', 'cycles'] : ['groups', 'cycles', 'outliers']) {
    if (reference[key] !== other[key]) {
      problems.push(`${key} ${other[key]} ≠ ${reference[key]}`);
    }
  }
  if (other.partial) {
    return other.selfCheck === false ? [...problems, 'its own check against numpy failed'] : problems;
  }
  for (const key of ['patternSum', 'perCycleMeanSum', 'correlationSum']) {
    const scale = Math.max(1, Math.abs(reference[key]));
    if (!(Math.abs(reference[key] - other[key]) <= 1e-6 * scale)) {
      problems.push(`${key} ${other[key]} ≠ ${reference[key]}`);
    }
  }
  return problems;
}

mkdirSync(outDir, { recursive: true });
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version },
  probe: bandwidthProbe(),
  files: []
};
log(`memory-bandwidth probe: ${report.probe.copyGBs.toFixed(1)} GB/s copied (${report.probe.readWriteGBs.toFixed(1)} GB/s read + write)`);

for (const { preset, path } of files) {
  if (!existsSync(path)) {
    log(`generating ${path}`);
    run(python, ['scripts/generate_dataset.py', '--preset', preset, '--out', 'data/']);
  }
  const entry = { file: path, sizeBytes: statSync(path).size, runs: [] };
  log(`\n${path} (${(entry.sizeBytes / 1e6).toFixed(0)} MB)`);
  const add = record => {
    entry.runs.push(record);
    record.throughputMBs = entry.sizeBytes / 1e6 / record.wallSeconds;
    log(
      `  ${record.tool.padEnd(38)} ${record.wallSeconds.toFixed(2).padStart(8)} s wall  ${record.throughputMBs.toFixed(0).padStart(5)} MB/s of file  peak ${(record.peakRssBytes / 1e9).toFixed(2)} GB`
    );
  };
  const baseline = lastJson(run(python, ['scripts/bench_baseline.py', path]).stdout);
  add({ ...baseline, tool: 'pyarrow + numpy (baseline)', wallSeconds: baseline.seconds.total });
  const duck = lastJson(run(process.execPath, ['scripts/bench-duckdb.mjs', path]).stdout);
  add({ ...duck, tool: 'DuckDB (SQL)', wallSeconds: duck.seconds.total });
  const polars = lastJson(run(python, ['scripts/bench_polars.py', path]).stdout);
  add({ ...polars, tool: 'Polars (lazy query)', wallSeconds: polars.seconds.total });
  const seed = lastJson(run(python, ['scripts/bench_seed.py', path, '--budget-seconds', '20']).stdout);
  add({
    ...seed,
    tool: `seed recipe (per cycle, pandas${seed.extrapolated ? ', extrapolated' : ''})`,
    wallSeconds: seed.seconds.total
  });
  for (const backend of preset === 'bench' ? ['wasm', 'reference'] : ['wasm']) {
    add(locolensCli(path, backend));
  }
  // WebGPU only on a hardware adapter: `auto` takes one when there is one (SwiftShader, the
  // software adapter, is for correctness tests, not for timing).
  const gpu = locolensCli(path, 'auto');
  if (gpu.digest.backend === 'webgpu') {
    add({ ...gpu, tool: `locolens CLI (webgpu${gpu.digest.adapter ? `, ${gpu.digest.adapter}` : ''})` });
  } else if (preset === 'bench') {
    log('  (no hardware GPU here: the WebGPU backend is left out)');
  }
  // Warm: the second run reads the decoded tensors from the cache folder.
  const cache = mkdtempSync(join(tmpdir(), 'locolens-bench-cache-'));
  try {
    locolensCli(path, 'wasm', ['--cache-dir', cache]);
    add({ ...locolensCli(path, 'wasm', ['--cache-dir', cache]), tool: 'locolens CLI (wasm, warm tensor store)' });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  const inspect = run(process.execPath, [cli, 'inspect', path, '--json']);
  const summary = JSON.parse(inspect.stdout);
  entry.summary = {
    wallSeconds: inspect.wallSeconds,
    bytesRead: summary.io.bytesRead,
    fractionRead: summary.io.bytesRead / entry.sizeBytes
  };
  log(
    `  summary (inspect)                     ${inspect.wallSeconds.toFixed(2).padStart(8)} s wall, ${(summary.io.bytesRead / 1e6).toFixed(2)} MB read (${(100 * entry.summary.fractionRead).toFixed(2)} %)`
  );
  const browser = run(process.execPath, [
    'scripts/bench-browser.mjs',
    '--root',
    'data',
    '--no-phase-correlations',
    path.replace(/^data\//, '')
  ]);
  for (const line of browser.stdout.trim().split('\n')) {
    const record = JSON.parse(line);
    add({
      tool: `locolens in Chromium (${record.run}${record.run === 'warm' ? ', browser cache' : ''})`,
      wallSeconds: record.wallMs / 1000,
      peakRssBytes: record.browserPeakRssBytes,
      digest: record.digest
    });
  }
  const reference = baseline.digest;
  entry.agreement = entry.runs.map(record => ({ tool: record.tool, problems: agree(reference, record.digest) }));
  for (const { tool, problems } of entry.agreement) {
    if (problems.length) {
      log(`  DISAGREES: ${tool}: ${problems.join('; ')}`);
    }
  }
  const base = baseline.seconds.total;
  entry.ratios = Object.fromEntries(entry.runs.map(record => [record.tool, base / record.wallSeconds]));
  report.files.push(entry);
}

const stamp = report.date.slice(0, 10);
const jsonPath = join(outDir, `bench-${stamp}.json`);
writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);

// The chart: wall seconds per tool and file, drawn by plotly in Chromium.
const require = createRequire(join(process.cwd(), 'ui-tests', 'package.json'));
const { chromium } = require('playwright');
const plotly = readFileSync(resolve('node_modules', 'plotly.js-dist-min', 'plotly.min.js'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.LOCOLENS_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 120 + 60 * report.files.reduce((n, f) => n + f.runs.length, 0) } });
  await page.setContent(`<html><body style="margin:0"><div id="chart"></div><script>${plotly}</script></body></html>`);
  const traces = report.files.map(file => ({
    type: 'bar',
    orientation: 'h',
    name: `${file.file.split('/').pop()} (${(file.sizeBytes / 1e6).toFixed(0)} MB)`,
    y: file.runs.map(record => record.tool),
    x: file.runs.map(record => record.wallSeconds),
    text: file.runs.map(record => `${record.wallSeconds.toFixed(2)} s · ${(record.peakRssBytes / 1e9).toFixed(2)} GB`),
    textposition: 'outside'
  }));
  await page.evaluate(
    ({ traces, title }) =>
      Plotly.newPlot('chart', traces, {
        title: { text: title },
        barmode: 'group',
        xaxis: { type: 'log', title: { text: 'wall seconds (log), all subjects × tasks' } },
        margin: { l: 300, r: 170, t: 60, b: 60 },
        legend: { orientation: 'h', x: 0, y: -0.12 },
        width: 1100,
        height: document.body.clientHeight || 600
      }),
    { traces, title: `locolens benchmark ${stamp}: ${report.machine.cpus} × ${report.machine.cpu}` }
  );
  await page.locator('#chart').screenshot({ path: join(outDir, `bench-${stamp}.png`) });
} finally {
  await browser.close();
}

// The Markdown table for the README.
const rows = ['| file | tool | wall s | MB/s of file | speed-up vs baseline | peak memory | agrees |', '|---|---|---|---|---|---|---|'];
for (const file of report.files) {
  for (const record of file.runs) {
    const problems = file.agreement.find(a => a.tool === record.tool).problems;
    rows.push(
      `| ${file.file.split('/').pop()} | ${record.tool} | ${record.wallSeconds.toFixed(2)} | ${record.throughputMBs.toFixed(0)} | ${file.ratios[record.tool].toFixed(2)}× | ${(record.peakRssBytes / 1e9).toFixed(2)} GB | ${problems.length ? `no: ${problems.join('; ')}` : 'yes'} |`
    );
  }
}
process.stdout.write(`${rows.join('\n')}\n\nwritten: ${jsonPath} and its .png\n`);
