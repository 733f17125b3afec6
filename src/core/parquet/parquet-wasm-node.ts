/**
 * parquet-wasm in Node: the .wasm bytes come from node_modules.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { registerParquetWasmLoader, type ParquetWasmModule } from './parquet-wasm';

/** Register the Node loader of parquet-wasm for this thread. */
export function useNodeParquetWasm(): void {
  registerParquetWasmLoader(async () => {
    const wasm: ParquetWasmModule = await import('parquet-wasm/esm');
    const require = createRequire(import.meta.url);
    const bytes = await readFile(require.resolve('parquet-wasm/esm/parquet_wasm_bg.wasm'));
    wasm.initSync({ module: bytes });
    return wasm;
  });
}
