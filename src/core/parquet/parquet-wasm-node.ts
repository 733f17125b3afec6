/**
 * parquet-wasm in Node: the .wasm bytes come from beside the bundle (the CLI shipped in the
 * Python wheel, locolens/_cli) or else from node_modules.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import { registerParquetWasmLoader, type ParquetWasmModule } from './parquet-wasm';

/** Register the Node loader of parquet-wasm for this thread. */
export function useNodeParquetWasm(): void {
  registerParquetWasmLoader(async () => {
    const wasm: ParquetWasmModule = await import('parquet-wasm/esm');
    const beside = fileURLToPath(new URL('./parquet_wasm_bg.wasm', import.meta.url));
    const bytes = await readFile(
      existsSync(beside) ? beside : createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')
    );
    wasm.initSync({ module: bytes });
    return wasm;
  });
}
