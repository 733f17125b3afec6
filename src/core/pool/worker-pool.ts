/**
 * A pool of long-lived decode workers (Web Workers in the browser, worker_threads in Node).
 *
 * #### Notes
 * One task runs on a worker at a time, the rest wait in a queue, so a worker's per-call I/O
 * counters are exact. A worker that crashes, or whose wasm instance panicked, is replaced; the
 * task it ran fails with a clear `worker-crashed` error instead of hanging.
 */
import type { Remote } from 'comlink';

import { LocolensError } from '../errors';
import type { Envelope, IDecodeService } from '../worker/decode-service';

/** A started worker as the pool sees it. */
export interface IWorkerHandle {
  api: Remote<IDecodeService>;
  /** Resolves (never rejects) when the worker dies, with the reason. */
  crashed: Promise<string>;
  terminate(): void;
}

/** Starts a worker. */
export type WorkerFactory = () => IWorkerHandle;

interface ISlot {
  handle: IWorkerHandle;
  busy: boolean;
  generation: number;
  /** Set while a task runs: told when the worker dies. */
  onCrash?: (reason: string) => void;
}

interface IQueued {
  run: (api: Remote<IDecodeService>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Statistics of a pool, for gauges. */
export interface IPoolStats {
  size: number;
  busy: number;
  queued: number;
  tasksDone: number;
  restarts: number;
}

/** A fixed-size pool of decode workers. */
export class WorkerPool {
  /**
   * @param factory - starts one worker.
   * @param size - number of workers (at least 1).
   */
  constructor(
    private readonly factory: WorkerFactory,
    size: number
  ) {
    this.size = Math.max(1, Math.floor(size));
  }

  /** Number of workers. */
  readonly size: number;

  private slots: ISlot[] = [];
  private readonly queue: IQueued[] = [];
  private disposed = false;
  private stats = { tasksDone: 0, restarts: 0 };

  /** Counters for gauges. */
  get poolStats(): IPoolStats {
    return {
      size: this.size,
      busy: this.slots.filter(slot => slot.busy).length,
      queued: this.queue.length,
      tasksDone: this.stats.tasksDone,
      restarts: this.stats.restarts
    };
  }

  /**
   * Run `task` on the next free worker and unwrap its envelope.
   *
   * @throws LocolensError with the worker's code and message, or `worker-crashed`.
   */
  run<T>(task: (api: Remote<IDecodeService>) => Promise<Envelope<T>>): Promise<{ value: T; io: { bytesRead: number; requests: number } }> {
    if (this.disposed) {
      return Promise.reject(new LocolensError('cancelled', 'the worker pool was shut down'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        run: task as (api: Remote<IDecodeService>) => Promise<unknown>,
        resolve: resolve as (value: unknown) => void,
        reject
      });
      this.pump();
    });
  }

  /** Stop every worker; queued tasks fail. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    for (const slot of this.slots) {
      slot.handle.terminate();
    }
    this.slots = [];
    for (const queued of this.queue.splice(0)) {
      queued.reject(new LocolensError('cancelled', 'the worker pool was shut down'));
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find(candidate => !candidate.busy);
      if (!slot && this.slots.length < this.size) {
        slot = { handle: this.factory(), busy: false, generation: 0 };
        this.watch(slot);
        this.slots.push(slot);
      }
      if (!slot) {
        return;
      }
      const queued = this.queue.shift()!;
      void this.execute(slot, queued);
    }
  }

  private async execute(slot: ISlot, queued: IQueued): Promise<void> {
    slot.busy = true;
    const generation = slot.generation;
    // A promise per task, not a reaction on the worker's long-lived `crashed` promise: racing
    // that one would keep every result ever returned reachable (a leak of whole row groups).
    const crash = new Promise<{ crashed: string }>(resolve => (slot.onCrash = reason => resolve({ crashed: reason })));
    try {
      const outcome = await Promise.race([queued.run(slot.handle.api).then(envelope => ({ envelope }) as const), crash]);
      if ('crashed' in outcome) {
        this.replace(slot, generation);
        queued.reject(new LocolensError('worker-crashed', `a decode worker stopped: ${outcome.crashed}`));
        return;
      }
      const envelope = outcome.envelope as Envelope<unknown>;
      if (envelope.ok) {
        queued.resolve({ value: envelope.value, io: envelope.io });
      } else {
        if (envelope.fatal) {
          this.replace(slot, generation);
        }
        queued.reject(new LocolensError(envelope.code === 'internal' ? 'io-error' : envelope.code, envelope.message));
      }
    } catch (error) {
      queued.reject(new LocolensError('worker-crashed', `a decode worker failed: ${String(error)}`));
      this.replace(slot, generation);
    } finally {
      slot.onCrash = undefined;
      this.stats.tasksDone += 1;
      slot.busy = false;
      if (!this.disposed) {
        this.pump();
      }
    }
  }

  private replace(slot: ISlot, generation: number): void {
    if (slot.generation !== generation || this.disposed) {
      return;
    }
    slot.handle.terminate();
    slot.handle = this.factory();
    slot.generation += 1;
    this.stats.restarts += 1;
    this.watch(slot);
  }

  /** Tell the slot's running task when its (current) worker dies. */
  private watch(slot: ISlot): void {
    const { handle } = slot;
    void handle.crashed.then(reason => {
      if (slot.handle === handle) {
        slot.onCrash?.(reason);
      }
    });
  }
}

/** A sensible pool size: the logical cores, at most `cap`. */
export function defaultPoolSize(cores: number | undefined, cap = 8): number {
  return Math.max(1, Math.min(cap, cores && cores > 0 ? cores : 2));
}
