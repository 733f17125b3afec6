/**
 * Entry point of a Node decode worker (worker_threads), bundled to dist/node/decode-worker.mjs.
 */
import { parentPort } from 'node:worker_threads';

import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

import { NodeFileSource } from '../io/node-file-source';
import { LocolensError } from '../errors';
import { crashMessage } from '../parquet/decode-context';
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

// A decoder trap escapes every catch (parquet-wasm's own futures): the worker dies with a message
// that names the decode and carries the damaged file's code (the pool reads it).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    throw new Error(crashMessage(error));
  });
}

if (!parentPort) {
  throw new Error('node-decode-worker must run in a worker thread');
}
expose(service, nodeEndpoint(parentPort));
