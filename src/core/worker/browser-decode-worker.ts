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

expose(service);
