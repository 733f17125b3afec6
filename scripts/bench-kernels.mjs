// Benchmark (not a test) of the hot kernels on synthetic float32 data, layout [feature][cycle][phase]:
//   node scripts/bench-kernels.mjs [cycles=10000] [features=40] [repeats=5] [--json FILE]
// Prints the min-of-N time and GB/s of input for
//  - the reference perCycleFeatures + patternPartial, the wasm SIMD perCycleAndPatterns (copy into wasm
//    memory included) and cycleRmse, a plain copy of the data, and a memory-read probe (4-accumulator sum
//    over the same Float32Array), with kernel GB/s ÷ probe GB/s;
//  - the workers backend (workersBackend(createNodePool(n))) for n = 1 and n = os.availableParallelism()
//    (at least 2): the first call (worker start, wasm compile, memory growth) is printed and not timed; the
//    timed calls include the sub-tensor copies sent to the workers and the merge of their results;
//  - a numpy baseline run in the same process tree on the same numbers (scripts/bench_kernels_numpy.py, with
//    $LOCOLENS_PYTHON or .venv/bin/python; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
//    environment only);
//  - a ratio table: each backend's per-cycle features + patterns + RMSE time ÷ numpy's time for the same
//    results, and GB/s (input bytes ÷ that time) ÷ memory-probe GB/s.
// --json FILE also writes every result as JSON. Needs `npm run build:wasm`, then `npm run build:node`
// (the workers run dist/node/decode-worker.mjs).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const usage = 'usage: node scripts/bench-kernels.mjs [cycles=10000] [features=40] [repeats=5] [--json FILE]';
const argv = process.argv.slice(2);
let jsonFile = null;
const jsonAt = argv.indexOf('--json');
if (jsonAt >= 0) {
  jsonFile = argv[jsonAt + 1];
  if (!jsonFile) {
    console.error(usage);
    process.exit(2);
  }
  argv.splice(jsonAt, 2);
}
const [cycles = 10000, features = 40, repeats = 5] = argv.map(Number);
if (argv.length > 3 || ![cycles, features, repeats].every(n => Number.isInteger(n) && n > 0)) {
  console.error(usage);
  process.exit(2);
}
if (!existsSync(join(root, 'src/core/kernels/wasm/cycle-stats.wasm.ts'))) {
  console.error('src/core/kernels/wasm/cycle-stats.wasm.ts is missing: run `npm run build:wasm` first');
  process.exit(1);
}
const workerScript = join(root, 'dist/node/decode-worker.mjs');
if (!existsSync(workerScript)) {
  console.error('dist/node/decode-worker.mjs is missing: run `npm run build:node` first');
  process.exit(1);
}
{
  // The worker bundle is built from the sources: say so when it is older than the kernels it runs.
  const built = statSync(workerScript).mtimeMs;
  const newer = [];
  const walk = folder => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__tests__') {
          walk(path);
        }
      } else if (entry.name.endsWith('.ts') && statSync(path).mtimeMs > built) {
        newer.push(path.slice(root.length + 1));
      }
    }
  };
  walk(join(root, 'src/core'));
  if (newer.length) {
    console.warn(
      `warning: dist/node/decode-worker.mjs is older than ${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ', …' : ''}: run \`npm run build:node\``
    );
  }
}

// Bundle the kernels (TypeScript sources) into one ES module in memory and import it from a data: URL.
const bundle = await build({
  stdin: {
    contents: [
      "export { perCycleFeatures, patternPartial, cycleRmse, finalizePatterns } from './src/core/kernels/reference';",
      "export { loadWasmKernels } from './src/core/kernels/wasm/wasm-kernels';",
      "export { workersBackend } from './src/core/kernels/backends';",
      "export { createNodePool } from './src/core/pool/node-pool';"
    ].join('\n'),
    resolveDir: root,
    sourcefile: 'bench-entry.ts',
    loader: 'ts'
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  logLevel: 'warning'
});
const kernels = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].contents).toString('base64')}`);

const PHASES = 150;
const samples = features * cycles * PHASES;
const bytes = samples * 4;
console.log(
  `${cycles} cycles × ${PHASES} phases × ${features} features float32 = ${(bytes / 1e6).toFixed(0)} MB; ` +
    `min of ${repeats} runs; node ${process.version}, ${process.arch}, ${availableParallelism()} cores; ` +
    `load average ${loadavg()
      .map(x => x.toFixed(2))
      .join(' ')}`
);

// Gait-like data: a per-feature offset and amplitude, a per-cycle phase shift, a little noise.
const data = new Float32Array(samples);
let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const sine = Float64Array.from({ length: PHASES }, (_, p) => Math.sin((2 * Math.PI * p) / PHASES));
for (let f = 0; f < features; f++) {
  const offset = (random() - 0.5) * 200;
  const amplitude = 1 + random() * 60;
  for (let c = 0; c < cycles; c++) {
    const shift = Math.floor(random() * 10);
    const base = (f * cycles + c) * PHASES;
    for (let p = 0; p < PHASES; p++) {
      data[base + p] = offset + amplitude * sine[(p + shift) % PHASES] + (random() - 0.5) * 0.1;
    }
  }
}
const tensor = { features: Array.from({ length: features }, (_, f) => `f${f}`), cycles, data };
const options = { ddof: 0, nan: 'propagate' };

function time(run) {
  run(); // warm-up (JIT, memory growth)
  let best = Infinity;
  let result;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    result = run();
    best = Math.min(best, performance.now() - start);
  }
  return { seconds: best / 1000, result };
}

function probeSum(x) {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const n = x.length - (x.length % 4);
  for (let i = 0; i < n; i += 4) {
    a += x[i];
    b += x[i + 1];
    c += x[i + 2];
    d += x[i + 3];
  }
  for (let i = n; i < x.length; i++) {
    a += x[i];
  }
  return a + b + c + d;
}

async function timeAsync(run) {
  let best = Infinity;
  let result;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    result = await run();
    best = Math.min(best, performance.now() - start);
  }
  return { seconds: best / 1000, result };
}

/** Largest |a − b| / max(|b|, 1e-12) over two arrays of the same length. */
function maxRelativeDifference(a, b) {
  if (a.length !== b.length) {
    return NaN;
  }
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-12));
  }
  return worst;
}

const wasm = await kernels.loadWasmKernels();
let wasmFirstCall;
{
  // The first call also grows the wasm memory and faults its pages in, and starts on V8's baseline code.
  const start = performance.now();
  wasm.perCycleAndPatterns(tensor, options);
  wasmFirstCall = (performance.now() - start) / 1000;
  console.log(`first wasm perCycleAndPatterns call (memory growth included): ${wasmFirstCall.toFixed(4)} s`);
}
const rows = [];
const probe = time(() => probeSum(data));
const gbps = seconds => bytes / seconds / 1e9;
const row = (name, seconds) => rows.push({ name, seconds, gbps: gbps(seconds), ratio: gbps(seconds) / gbps(probe.seconds) });
row('memory-read probe (4-accumulator JS sum)', probe.seconds);
{
  const copyTarget = new Float32Array(samples);
  row('copy (Float32Array.set, as into wasm memory)', time(() => copyTarget.set(data)).seconds);
}
// What each workers call pays per sub-tensor: a fresh buffer (zeroed, page-faulted on first write) and a copy.
row('copy into a fresh Float32Array (as subTensor does)', time(() => new Float32Array(samples).set(data)).seconds);
const reference = time(() => ({ perCycle: kernels.perCycleFeatures(tensor, options), partial: kernels.patternPartial(tensor) }));
row('reference perCycleFeatures + patternPartial', reference.seconds);
const copy = rows[1].seconds;
const fused = time(() => wasm.perCycleAndPatterns(tensor, options));
row('wasm SIMD perCycleAndPatterns (copy included)', fused.seconds);
row('  the same less the copy (estimate)', fused.seconds - copy);
const mean = kernels.finalizePatterns(fused.result.partial, options).mean;
const referenceRmse = time(() => kernels.cycleRmse(tensor, mean, options));
row('reference cycleRmse', referenceRmse.seconds);
const wasmRmse = time(() => wasm.cycleRmse(tensor, mean, options));
row('wasm SIMD cycleRmse (copy included)', wasmRmse.seconds);

// The workers backend: the wasm kernel in a pool of worker_threads, on contiguous ranges of cycles.
const cores = availableParallelism();
const workerCounts = [...new Set([1, Math.max(2, cores)])];
const workers = [];
for (const n of workerCounts) {
  const pool = kernels.createNodePool(n, workerScript);
  try {
    const backend = kernels.workersBackend(pool);
    let start = performance.now();
    await backend.perCycleAndPatterns(tensor, options);
    const firstFused = (performance.now() - start) / 1000;
    start = performance.now();
    await backend.cycleRmse(tensor, mean, options);
    const firstRmse = (performance.now() - start) / 1000;
    const tasks = Math.max(1, Math.min(n, Math.floor(cycles / 32)));
    console.log(
      `workers n=${n} (${tasks} task${tasks > 1 ? 's' : ''} per call): first perCycleAndPatterns call (worker start + wasm compile + ` +
        `memory growth) ${firstFused.toFixed(4)} s, first cycleRmse call ${firstRmse.toFixed(4)} s (not in the timings)`
    );
    const fusedW = await timeAsync(() => backend.perCycleAndPatterns(tensor, options));
    row(`workers n=${n} perCycleAndPatterns (sub-tensor copies incl.)`, fusedW.seconds);
    const rmseW = await timeAsync(() => backend.cycleRmse(tensor, mean, options));
    row(`workers n=${n} cycleRmse (sub-tensor copies incl.)`, rmseW.seconds);
    workers.push({
      n,
      tasks,
      firstPerCycleAndPatterns: firstFused,
      firstCycleRmse: firstRmse,
      perCycleAndPatterns: fusedW.seconds,
      cycleRmse: rmseW.seconds,
      sdVsWasm: maxRelativeDifference(fusedW.result.perCycle.std, fused.result.perCycle.std),
      rmseVsWasm: maxRelativeDifference(rmseW.result, wasmRmse.result)
    });
  } finally {
    pool.dispose();
  }
}

const width = Math.max(...rows.map(r => r.name.length));
console.log(`${'kernel'.padEnd(width)}  ${'min s'.padStart(8)}  ${'GB/s'.padStart(6)}  ${'÷ probe'.padStart(7)}`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(width)}  ${r.seconds.toFixed(4).padStart(8)}  ${r.gbps.toFixed(2).padStart(6)}  ${r.ratio.toFixed(2).padStart(7)}`
  );
}

// A cheap agreement check, so that a fast wrong kernel shows up here too.
const agreement = {
  sdWasmVsReference: maxRelativeDifference(fused.result.perCycle.std, reference.result.perCycle.std),
  rmseWasmVsReference: maxRelativeDifference(wasmRmse.result, referenceRmse.result)
};
console.log(
  `max relative difference, wasm vs reference: per-cycle SD ${agreement.sdWasmVsReference.toExponential(2)}, ` +
    `RMSE ${agreement.rmseWasmVsReference.toExponential(2)}`
);
for (const w of workers) {
  console.log(
    `max relative difference, workers n=${w.n} vs wasm: per-cycle SD ${w.sdVsWasm.toExponential(2)}, RMSE ${w.rmseVsWasm.toExponential(2)}`
  );
}

// numpy on the same numbers, in a child process (nothing else runs meanwhile: the pools are gone).
const python = process.env.LOCOLENS_PYTHON || join(root, '.venv/bin/python');
let numpy = null;
let numpyNote = null;
if (!existsSync(python)) {
  numpyNote = `${python} not found (set LOCOLENS_PYTHON)`;
} else {
  const folder = mkdtempSync(join(tmpdir(), 'locolens-bench-'));
  try {
    const file = join(folder, 'data.f32');
    writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines here for old OpenBLAS builds) slow a
    // current numpy: remove both, for this child only.
    const env = { ...process.env };
    const removed = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter(key => key in env).map(key => `${key}=${env[key]}`);
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const start = performance.now();
    const child = spawnSync(
      python,
      [join(root, 'scripts/bench_kernels_numpy.py'), String(cycles), String(features), String(repeats), '--data', file, '--dump', folder],
      { env, encoding: 'utf8', maxBuffer: 64 << 20 }
    );
    const wall = (performance.now() - start) / 1000;
    if (child.status !== 0) {
      numpyNote = `${python} failed (${child.error ?? `exit ${child.status}`}): ${(child.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
    } else {
      numpy = JSON.parse(child.stdout.trim().split('\n').pop());
      numpy.wall_s = wall;
      numpy.removed_env = removed;
      const f64 = name => {
        const buffer = readFileSync(join(folder, name));
        return new Float64Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
      };
      agreement.sdNumpyVsWasm = maxRelativeDifference(f64('std.f64'), fused.result.perCycle.std);
      agreement.rmseNumpyVsWasm = maxRelativeDifference(f64('rmse.f64'), wasmRmse.result);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

console.log('');
if (!numpy) {
  console.log(`numpy baseline skipped: ${numpyNote}`);
} else {
  const c = numpy.config;
  const build = c.blas_build && typeof c.blas_build === 'object' ? `${c.blas_build.name} ${c.blas_build.version}` : String(c.blas_build);
  let runtime;
  if (Array.isArray(c.threadpoolctl)) {
    runtime = `threadpoolctl: ${c.threadpoolctl.map(t => `${t.internal_api} ${t.version} ${t.architecture ?? ''} ${t.num_threads} threads`).join('; ')}`;
  } else {
    const blas =
      (c.openblas_runtime ?? []).map(o => `${o.corename ?? '?'} kernel, ${o.num_threads ?? '?'} threads`).join('; ') || 'unknown';
    runtime = `OpenBLAS ${blas} (read with ctypes: threadpoolctl ${c.threadpoolctl})`;
  }
  console.log(
    `numpy ${c.numpy} (python ${c.python}), ${numpy.dtype} ${numpy.shape.join(' × ')}, min of ${numpy.repeats} after a warm-up; ` +
      `data: ${numpy.data}; child wall time ${numpy.wall_s.toFixed(1)} s`
  );
  console.log(
    `  BLAS: ${build}; at run time ${runtime}; removed from its environment: ${numpy.removed_env.length ? numpy.removed_env.join(', ') : 'nothing (neither was set)'}` +
      `; SIMD found: ${(c.simd?.found ?? []).join(' ') || '?'} (mean/std/min/max/argmax use numpy's own SIMD loops, not BLAS)`
  );
  for (const layout of [numpy.get_cycles_layout, numpy.feature_major_layout]) {
    console.log(
      `  ${layout.layout.padEnd(42)} per-cycle features ${layout.per_cycle_s.toFixed(4)} s, patterns ${layout.patterns_s.toFixed(4)} s, ` +
        `RMSE ${layout.rmse_s.toFixed(4)} s, total ${layout.total_s.toFixed(4)} s`
    );
  }
  console.log(
    `max relative difference, numpy float32 vs wasm: per-cycle SD ${agreement.sdNumpyVsWasm.toExponential(2)}, RMSE ${agreement.rmseNumpyVsWasm.toExponential(2)}`
  );
}

// Ratios for the whole job: per-cycle features + mean/SD patterns + per-cycle RMSE.
const jobs = [
  { name: 'reference (one thread, float64)', fused: reference.seconds, rmse: referenceRmse.seconds },
  { name: 'wasm SIMD (one thread)', fused: fused.seconds, rmse: wasmRmse.seconds },
  ...workers.map(w => ({ name: `workers n=${w.n}`, fused: w.perCycleAndPatterns, rmse: w.cycleRmse }))
];
if (numpy) {
  const g = numpy.get_cycles_layout;
  const m = numpy.feature_major_layout;
  jobs.push({ name: 'numpy (cycles, 150, features)', fused: g.per_cycle_s + g.patterns_s, rmse: g.rmse_s });
  jobs.push({ name: 'numpy (features, cycles, 150)', fused: m.per_cycle_s + m.patterns_s, rmse: m.rmse_s });
}
const numpySeconds = numpy ? numpy.get_cycles_layout.total_s : NaN;
const ratios = jobs.map(job => {
  const seconds = job.fused + job.rmse;
  return { ...job, seconds, vsNumpy: seconds / numpySeconds, gbps: gbps(seconds), vsProbe: gbps(seconds) / gbps(probe.seconds) };
});
console.log('');
console.log(
  'whole job = per-cycle features + patterns + RMSE (sum of the min times); GB/s = input bytes ÷ job time; ' +
    '÷ numpy = job time ÷ numpy (cycles, 150, features) job time (< 1 is faster than numpy)'
);
const w2 = Math.max(...ratios.map(r => r.name.length));
console.log(
  `${'backend'.padEnd(w2)}  ${'feat+pat s'.padStart(10)}  ${'RMSE s'.padStart(8)}  ${'job s'.padStart(8)}  ${'÷ numpy'.padStart(7)}  ` +
    `${'GB/s'.padStart(6)}  ${'÷ probe'.padStart(7)}`
);
for (const r of ratios) {
  console.log(
    `${r.name.padEnd(w2)}  ${r.fused.toFixed(4).padStart(10)}  ${r.rmse.toFixed(4).padStart(8)}  ${r.seconds.toFixed(4).padStart(8)}  ` +
      `${(numpy ? r.vsNumpy.toFixed(3) : 'n/a').padStart(7)}  ${r.gbps.toFixed(2).padStart(6)}  ${r.vsProbe.toFixed(3).padStart(7)}`
  );
}

console.log(
  `load average at the end: ${loadavg()
    .map(x => x.toFixed(2))
    .join(' ')}`
);
if (jsonFile) {
  writeFileSync(
    jsonFile,
    JSON.stringify(
      {
        setup: { cycles, phases: PHASES, features, repeats, bytes, node: process.version, arch: process.arch, availableParallelism: cores },
        loadAverageAtEnd: loadavg(),
        wasmFirstCall,
        kernels: rows,
        workers,
        numpy: numpy ?? { skipped: numpyNote },
        agreement,
        jobs: ratios
      },
      null,
      2
    ) + '\n'
  );
  console.log(`results written to ${jsonFile}`);
}
