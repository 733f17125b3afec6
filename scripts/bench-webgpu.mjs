// Bundles scripts/bench-webgpu.ts to dist/bench/bench-webgpu.mjs (the `webgpu` package stays
// external) and runs it with the given arguments. Needs `npm run build:wasm` first.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';

await build({
  entryPoints: ['scripts/bench-webgpu.ts'],
  outfile: 'dist/bench/bench-webgpu.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  logLevel: 'warning'
});
if (!process.env.LOCOLENS_BUILD_ONLY) {
  const run = spawnSync(process.execPath, ['dist/bench/bench-webgpu.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
