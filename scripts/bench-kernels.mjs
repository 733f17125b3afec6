// Benchmark (not a test) of the hot kernels on synthetic float32 data, layout [feature][cycle][phase]:
//   node scripts/bench-kernels.mjs [cycles=10000] [features=40] [repeats=5]
// Prints the min-of-N time and GB/s of input for the reference perCycleFeatures + patternPartial, the wasm
// SIMD perCycleAndPatterns (copy into wasm memory included) and cycleRmse, a plain copy of the data, and a
// memory-read probe (4-accumulator sum over the same Float32Array), with kernel GB/s ÷ probe GB/s.
// Needs the generated wasm module: run `npm run build:wasm` first.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [cycles = 10000, features = 40, repeats = 5] = process.argv.slice(2).map(Number);
if (![cycles, features, repeats].every(n => Number.isInteger(n) && n > 0)) {
  console.error('usage: node scripts/bench-kernels.mjs [cycles=10000] [features=40] [repeats=5]');
  process.exit(2);
}
if (!existsSync(join(root, 'src/core/kernels/wasm/cycle-stats.wasm.ts'))) {
  console.error('src/core/kernels/wasm/cycle-stats.wasm.ts is missing: run `npm run build:wasm` first');
  process.exit(1);
}

// Bundle the kernels (TypeScript sources) into one ES module in memory and import it from a data: URL.
const bundle = await build({
  stdin: {
    contents: [
      "export { perCycleFeatures, patternPartial, cycleRmse, finalizePatterns } from './src/core/kernels/reference';",
      "export { loadWasmKernels } from './src/core/kernels/wasm/wasm-kernels';"
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
    `min of ${repeats} runs; node ${process.version}, ${process.arch}`
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

const wasm = await kernels.loadWasmKernels();
{
  // The first call also grows the wasm memory and faults its pages in, and starts on V8's baseline code.
  const start = performance.now();
  wasm.perCycleAndPatterns(tensor, options);
  console.log(`first wasm perCycleAndPatterns call (memory growth included): ${((performance.now() - start) / 1000).toFixed(4)} s`);
}
const copyTarget = new Float32Array(samples);
const rows = [];
const probe = time(() => probeSum(data));
const gbps = seconds => bytes / seconds / 1e9;
const row = (name, seconds) => rows.push({ name, seconds, gbps: gbps(seconds), ratio: gbps(seconds) / gbps(probe.seconds) });
row('memory-read probe (4-accumulator JS sum)', probe.seconds);
row('copy (Float32Array.set, as into wasm memory)', time(() => copyTarget.set(data)).seconds);
const reference = time(() => ({ perCycle: kernels.perCycleFeatures(tensor, options), partial: kernels.patternPartial(tensor) }));
row('reference perCycleFeatures + patternPartial', reference.seconds);
const copy = rows[1].seconds;
const fused = time(() => wasm.perCycleAndPatterns(tensor, options));
row('wasm SIMD perCycleAndPatterns (copy included)', fused.seconds);
row('  the same less the copy (estimate)', fused.seconds - copy);
const mean = kernels.finalizePatterns(fused.result.partial, options).mean;
row('reference cycleRmse', time(() => kernels.cycleRmse(tensor, mean, options)).seconds);
row('wasm SIMD cycleRmse (copy included)', time(() => wasm.cycleRmse(tensor, mean, options)).seconds);

const width = Math.max(...rows.map(r => r.name.length));
console.log(`${'kernel'.padEnd(width)}  ${'min s'.padStart(8)}  ${'GB/s'.padStart(6)}  ${'÷ probe'.padStart(7)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(width)}  ${r.seconds.toFixed(4).padStart(8)}  ${r.gbps.toFixed(2).padStart(6)}  ${r.ratio.toFixed(2).padStart(7)}`);
}

// A cheap agreement check, so that a fast wrong kernel shows up here too.
let worst = 0;
const expected = reference.result.perCycle.std;
const actual = fused.result.perCycle.std;
for (let i = 0; i < expected.length; i++) {
  worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-12));
}
console.log(`max relative difference of per-cycle SD, wasm vs reference: ${worst.toExponential(2)}`);
