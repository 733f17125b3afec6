// Bundles the Node entry points (CLI and decode worker) into dist/node with esbuild.
// npm packages stay external: they are resolved from node_modules at run time
// (parquet-wasm loads its .wasm file from there).
import { build } from 'esbuild';

await build({
  entryPoints: {
    locolens: 'src/cli/main.ts',
    'decode-worker': 'src/core/worker/node-decode-worker.ts'
  },
  outdir: 'dist/node',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning'
});
