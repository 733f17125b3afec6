/**
 * Entry point of a Node decode worker (worker_threads), bundled to dist/node/decode-worker.mjs.
 */
import { parentPort } from 'node:worker_threads';

import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

import { NodeFileSource } from '../io/node-file-source';
import { LocolensError } from '../errors';
import { useNodeParquetWasm } from '../parquet/parquet-wasm-node';
import { NodeChunkFiles } from '../store/node-chunk-files';
import { DecodeService } from './decode-service';

useNodeParquetWasm();

const service = new DecodeService(
  async spec => {
    if (spec.kind !== 'file') {
      throw new LocolensError('bad-argument', 'Node workers read local files only');
    }
    return NodeFileSource.open(spec.path);
  },
  root => new NodeChunkFiles(root)
);

if (!parentPort) {
  throw new Error('node-decode-worker must run in a worker thread');
}
expose(service, nodeEndpoint(parentPort));
