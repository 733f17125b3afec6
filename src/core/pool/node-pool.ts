/**
 * The decode worker pool in Node (CLI, tests, benchmarks): worker_threads + comlink.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

import type { DecodePool, IDecodeService } from '../worker/decode-service';
import { WorkerPool, defaultPoolSize, type IWorkerHandle } from './worker-pool';

/** The bundled worker script: next to this module when bundled, else in the package's dist/node. */
export function nodeWorkerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'decode-worker.mjs');
  if (existsSync(beside)) {
    return beside;
  }
  let folder = here;
  for (let i = 0; i < 6; i++) {
    const candidate = join(folder, 'dist', 'node', 'decode-worker.mjs');
    if (existsSync(candidate)) {
      return candidate;
    }
    folder = dirname(folder);
  }
  throw new Error('dist/node/decode-worker.mjs not found: run `npm run build:node` first');
}

/**
 * A pool of Node decode workers.
 *
 * @param size - number of workers; default: the available cores (os.availableParallelism).
 */
export function createNodePool(size?: number, script = nodeWorkerScript()): DecodePool {
  const factory = (): IWorkerHandle<IDecodeService> => {
    const worker = new Worker(script);
    const crashed = new Promise<string>(resolve => {
      worker.on('error', error => resolve(error instanceof Error ? error.message : String(error)));
      worker.on('exit', code => resolve(`exited with code ${code}`));
    });
    return {
      api: wrap<IDecodeService>(nodeEndpoint(worker)),
      crashed,
      terminate: () => void worker.terminate()
    };
  };
  return new WorkerPool<IDecodeService>(factory, size ?? defaultPoolSize(availableParallelism()));
}
