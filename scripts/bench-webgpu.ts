/**
 * Benchmark (not a test) of the WebGPU kernels in Node (Dawn on the system's Vulkan driver),
 * against a GPU memory-bandwidth probe measured in the same run, and the wasm kernel on one CPU
 * thread for comparison. Bundled by scripts/bench-webgpu.mjs.
 *
 *   node dist/bench/bench-webgpu.mjs [cycles=10000] [features=40] [repeats=5] [--json FILE]
 */
import { writeFileSync } from 'node:fs';

import { gpuKernels } from '../src/core/kernels/webgpu/gpu-device';
import { useNodeGpu } from '../src/core/kernels/webgpu/node-gpu';
import { loadWasmKernels } from '../src/core/kernels/wasm/wasm-kernels';
import { correlations, finalizePatterns, perCycleFeatures } from '../src/core/kernels/reference';
import { PHASES, type ICycleTensor, type IKernelOptions } from '../src/core/kernels/types';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const [cycles = 10000, features = 40, repeats = 5] = args.map(Number);
const options: IKernelOptions = { ddof: 0, nan: 'propagate' };

function gaitLike(seed: number): ICycleTensor {
  const data = new Float32Array(features * cycles * PHASES);
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
  for (let f = 0; f < features; f++) {
    const offset = (random() - 0.5) * 4;
    const amplitude = 0.2 + random();
    for (let c = 0; c < cycles; c++) {
      const shift = random() * 0.3;
      for (let p = 0; p < PHASES; p++) {
        data[(f * cycles + c) * PHASES + p] = offset + amplitude * Math.sin((2 * Math.PI * p) / PHASES + shift) + (random() - 0.5) * 0.02;
      }
    }
  }
  return { features: Array.from({ length: features }, (_, f) => `feature_${f}_angle_rad`), cycles, data };
}

async function minTime(run: () => Promise<unknown>, n = repeats): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    best = Math.min(best, performance.now() - t);
  }
  return best / 1000;
}

useNodeGpu();
const kernels = await gpuKernels();
if (kernels.software && !args.includes('--software')) {
  // SwiftShader and llvmpipe run these kernels for many minutes and measure nothing a user meets.
  console.log(`no hardware GPU here (only ${kernels.adapter}): the WebGPU kernel benchmark is left out (--software runs it anyway)`);
  process.exit(0);
}
const tensor = gaitLike(7);
const bytes = tensor.data.byteLength;
const gb = (seconds: number) => bytes / seconds / 1e9;
console.log(
  `${cycles} cycles × 150 × ${features} features float32 = ${(bytes / 1e6).toFixed(0)} MB; min of ${repeats}; adapter: ${kernels.adapter}`
);

// GPU bandwidth probe: a device-side copy of a buffer as large as the tensor (bytes read).
const device = (kernels as unknown as { device: GPUDevice }).device;
const size = Math.min(bytes, kernels.limits.maxBufferSize);
const source = device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
const target = device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST });
const copy = async () => {
  const encoder = device.createCommandEncoder();
  for (let i = 0; i < 10; i++) {
    encoder.copyBufferToBuffer(source, 0, target, 0, size);
  }
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
};
await copy();
const copySeconds = (await minTime(copy)) / 10;
const probe = size / copySeconds / 1e9;

const breakdown = async (name: string, run: () => Promise<unknown>) => {
  const before = { ...kernels.stats };
  await run();
  const after = kernels.stats;
  console.log(
    `  ${name}: encode+upload ${(after.encodeMs - before.encodeMs).toFixed(1)} ms, GPU + read-back ${(after.gpuMs - before.gpuMs).toFixed(1)} ms, CPU merge ${(after.mergeMs - before.mergeMs).toFixed(1)} ms`
  );
};
const first = performance.now();
await kernels.perCycleAndPatterns(tensor, options);
const firstSeconds = (performance.now() - first) / 1000;
const uploadsBefore = kernels.stats.uploads;
const resident = await minTime(() => kernels.perCycleAndPatterns(tensor, options));
const rmse = await minTime(() => kernels.cycleRmse(tensor, new Float64Array(features * PHASES), options));
const stats = await minTime(() => kernels.groupStatistics(tensor, options, true), Math.min(3, repeats));
const uploadsAfter = kernels.stats.uploads;
// A fresh tensor each time: upload included.
const fresh = await minTime(
  async () => kernels.perCycleAndPatterns({ ...tensor, data: tensor.data.slice() }, options),
  Math.min(3, repeats)
);

console.log('one call each, where the time goes:');
await breakdown('per-cycle features + patterns', () => kernels.perCycleAndPatterns(tensor, options));
await breakdown('RMSE', () => kernels.cycleRmse(tensor, new Float64Array(features * PHASES), options));
await breakdown('validation + correlations', () => kernels.groupStatistics(tensor, options, true));
const wasm = await loadWasmKernels();
await wasm.perCycleAndPatterns(tensor, options);
const wasmSeconds = await minTime(async () => wasm.perCycleAndPatterns(tensor, options));

// Agreement with the float64 reference on a slice.
const check = { ...tensor, cycles: Math.min(200, cycles) };
check.data = new Float32Array(features * check.cycles * PHASES);
for (let f = 0; f < features; f++) {
  check.data.set(tensor.data.subarray(f * cycles * PHASES, (f * cycles + check.cycles) * PHASES), f * check.cycles * PHASES);
}
const gpuCheck = await kernels.perCycleAndPatterns(check, options);
const refCheck = perCycleFeatures(check, options);
let worst = 0;
refCheck.std.forEach((v, i) => (worst = Math.max(worst, Math.abs(gpuCheck.perCycle.std[i] - v) / Math.abs(v))));
const patterns = finalizePatterns(gpuCheck.partial, options);
const gpuCorrelations = (await kernels.groupStatistics(check, options, true)).correlations;
const refCorrelations = correlations(check, options);
let worstR = 0;
refCorrelations.features.forEach((v, i) => (worstR = Math.max(worstR, Math.abs(gpuCorrelations.features[i] - v))));
refCorrelations.phases!.forEach((v, i) => (worstR = Math.max(worstR, Math.abs(gpuCorrelations.phases![i] - v))));

const rows = [
  ['GPU copy probe (copyBufferToBuffer, bytes read)', copySeconds, probe],
  ['webgpu per-cycle features + pattern moments, resident (incl. read-back + f64 merge)', resident, gb(resident)],
  ['webgpu per-cycle RMSE, resident', rmse, gb(rmse)],
  ['webgpu validation + feature and phase correlations, resident', stats, gb(stats)],
  ['webgpu per-cycle features + patterns, upload included', fresh, gb(fresh)],
  ['wasm SIMD on one CPU thread, per-cycle features + patterns', wasmSeconds, gb(wasmSeconds)]
] as const;
const width = Math.max(...rows.map(r => r[0].length));
console.log(
  `first call (pipelines, upload): ${firstSeconds.toFixed(3)} s; uploads during the resident runs: ${uploadsAfter - uploadsBefore}`
);
console.log(`${'kernel'.padEnd(width)}  ${'min s'.padStart(8)}  ${'GB/s'.padStart(7)}  ÷ GPU probe`);
for (const [name, seconds, rate] of rows) {
  console.log(`${name.padEnd(width)}  ${seconds.toFixed(4).padStart(8)}  ${rate.toFixed(2).padStart(7)}  ${(rate / probe).toFixed(3)}`);
}
console.log(
  `webgpu vs float64 reference (${check.cycles} cycles): per-cycle SD max relative difference ${worst.toExponential(2)}; correlations max absolute difference ${worstR.toExponential(2)}; pattern mean[0] ${patterns.mean[0].toFixed(6)}`
);
if (jsonFile) {
  writeFileSync(
    jsonFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        adapter: kernels.adapter,
        cycles,
        features,
        bytes,
        probeGBs: probe,
        rows: rows.map(([name, seconds, rate]) => ({ name, seconds, GBs: rate })),
        worstRelativeSd: worst,
        worstAbsoluteCorrelation: worstR
      },
      null,
      2
    )
  );
}
process.exit(0);
