/**
 * Loading parquet-wasm once per thread.
 *
 * #### Notes
 * How the .wasm bytes are found differs by environment (a URL emitted by the bundler in the
 * browser, a file in node_modules in Node), so each entry point registers its loader and the
 * core only awaits `parquetWasm()`.
 */
import type * as ParquetWasm from 'parquet-wasm/esm';

/** The parquet-wasm module namespace. */
export type ParquetWasmModule = typeof ParquetWasm;

let loader: (() => Promise<ParquetWasmModule>) | null = null;
let loading: Promise<ParquetWasmModule> | null = null;

/** Register how this thread loads parquet-wasm (call once from the entry point). */
export function registerParquetWasmLoader(load: () => Promise<ParquetWasmModule>): void {
  loader = load;
  loading = null;
}

/** The initialized parquet-wasm module of this thread. */
export function parquetWasm(): Promise<ParquetWasmModule> {
  if (!loading) {
    if (!loader) {
      return Promise.reject(new Error('parquet-wasm loader not registered in this thread'));
    }
    loading = loader();
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}
