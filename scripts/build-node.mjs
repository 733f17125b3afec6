// Bundles the Node entry points (CLI and decode worker) with esbuild:
// - dist/node: npm packages stay external, resolved from node_modules at run time (the CLI of a
//   source checkout: tests, benchmarks);
// - locolens/_cli: everything bundled but the optional native WebGPU binding, with parquet-wasm's
//   .wasm file beside it: the CLI that the Python wheel ships for headless locolens.analyze().
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const common = {
  entryPoints: {
    locolens: 'src/cli/main.ts',
    'decode-worker': 'src/core/worker/node-decode-worker.ts'
  },
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning'
};

await build({ ...common, outdir: 'dist/node', packages: 'external', sourcemap: true, banner: { js: '#!/usr/bin/env node' } });

await build({
  ...common,
  outdir: 'locolens/_cli',
  external: ['webgpu'],
  minify: true,
  // Bundled CommonJS dependencies call require(): give the ES module one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __locolensRequire } from 'node:module';\nconst require = __locolensRequire(import.meta.url);"
  }
});
mkdirSync('locolens/_cli', { recursive: true });
copyFileSync(createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm'), 'locolens/_cli/parquet_wasm_bg.wasm');
