/**
 * Entry point of a browser decode worker (a Web Worker chunk emitted by the extension's bundler).
 *
 * #### Notes
 * parquet-wasm's ESM build locates its .wasm with `new URL(..., import.meta.url)`, which the
 * bundler turns into a hashed asset next to this chunk, so it loads inside the prebuilt
 * extension wherever JupyterLab serves it. The wasm is loaded on the first call, never at import.
 */
import { expose } from 'comlink';

import { HttpRangeSource } from '../io/http-range-source';
import { LocolensError } from '../errors';
import { crashMessage } from '../parquet/decode-context';
import { registerParquetWasmLoader } from '../parquet/parquet-wasm';
import { OpfsChunkFiles } from '../store/opfs-chunk-files';
import { DecodeService } from './decode-service';

registerParquetWasmLoader(async () => {
  const wasm = await import('parquet-wasm/esm');
  await wasm.default();
  return wasm;
});

const service = new DecodeService(
  async spec => {
    if (spec.kind !== 'http') {
      throw new LocolensError('bad-argument', 'browser workers read files over HTTP only');
    }
    return HttpRangeSource.open(spec.url, { name: spec.name, size: spec.size, headers: spec.headers, prefetched: spec.prefetched });
  },
  root => new OpfsChunkFiles(root)
);

// A decoder trap escapes every catch (parquet-wasm's own futures): the worker reports an error
// that names the decode and carries the damaged file's code (the pool reads it from the page).
let reported = false;
const report = (error: unknown) => {
  if (!reported) {
    reported = true;
    setTimeout(() => {
      throw new Error(crashMessage(error));
    });
  }
};
self.addEventListener('unhandledrejection', event => report(event.reason));
self.addEventListener('error', event => {
  if (!reported) {
    event.preventDefault();
    report(event.error ?? event.message);
  }
});

expose(service);
