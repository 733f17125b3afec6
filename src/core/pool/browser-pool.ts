/**
 * The decode worker pool in the browser: Web Workers + comlink.
 */
import { wrap } from 'comlink';

import type { DecodePool, IDecodeService } from '../worker/decode-service';
import { WorkerPool, defaultPoolSize, type IWorkerHandle } from './worker-pool';

/**
 * A pool of browser decode workers.
 *
 * @param size - number of workers; default: navigator.hardwareConcurrency (at most 8).
 */
export function createBrowserPool(size?: number): DecodePool {
  const factory = (): IWorkerHandle<IDecodeService> => {
    const worker = new Worker(new URL('../worker/browser-decode-worker.js', import.meta.url));
    const crashed = new Promise<string>(resolve => {
      worker.addEventListener('error', event => {
        event.preventDefault();
        resolve(event.message || 'the worker failed to start');
      });
    });
    return { api: wrap<IDecodeService>(worker), crashed, terminate: () => worker.terminate() };
  };
  return new WorkerPool<IDecodeService>(factory, size ?? defaultPoolSize(navigator.hardwareConcurrency));
}
