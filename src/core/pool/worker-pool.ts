/**
 * A pool of long-lived workers (Web Workers in the browser, worker_threads in Node), generic over
 * the API its workers expose: it knows nothing of what they do.
 *
 * #### Notes
 * One task runs on a worker at a time, the rest wait in a queue, so a worker's per-call I/O
 * counters are exact. A task may be pinned to one worker (an analysis job keeps state there);
 * a pinned task whose worker was replaced since fails rather than running on a fresh one. A
 * worker that crashes, or whose wasm instance panicked, is replaced; the task it ran fails with
 * a clear `worker-crashed` error instead of hanging.
 */
import type { Remote } from 'comlink';

import { LocolensError, type Envelope, type IIoCount, type LocolensErrorCode } from '../errors';
import { codedCrash } from '../parquet/decode-context';

/** A started worker as the pool sees it. */
export interface IWorkerHandle<TApi = unknown> {
  api: Remote<TApi>;
  /** Resolves (never rejects) when the worker dies, with the reason. */
  crashed: Promise<string>;
  terminate(): void;
}

/** Starts a worker. */
export type WorkerFactory<TApi = unknown> = () => IWorkerHandle<TApi>;

/** Which worker a task ran on: its slot and that slot's generation (bumped when replaced). */
export interface IWorkerRef {
  slot: number;
  generation: number;
}

/** What `run` resolves with. */
export interface ITaskResult<T> {
  value: T;
  io: IIoCount;
  /** The worker that ran the task (pin later tasks to it with `run(task, { on })`). */
  worker: IWorkerRef;
}

interface ISlot<TApi> {
  handle: IWorkerHandle<TApi>;
  busy: boolean;
  /** Whose task runs (an analysis), while busy. */
  owner?: string;
  generation: number;
  /** Set while a task runs: told when the worker dies. */
  onCrash?: (reason: string) => void;
}

interface IQueued<TApi> {
  run: (api: Remote<TApi>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Pinned to this worker, or any. */
  on?: IWorkerRef;
  /** Whose task it is (an analysis): the pool shares the workers among owners. */
  owner?: string;
}

/** Statistics of a pool, for gauges. */
export interface IPoolStats {
  size: number;
  busy: number;
  queued: number;
  tasksDone: number;
  restarts: number;
}

/** A fixed-size pool of workers exposing `TApi`. */
export class WorkerPool<TApi = unknown> {
  /**
   * @param factory - starts one worker.
   * @param size - number of workers (at least 1).
   */
  constructor(
    private readonly factory: WorkerFactory<TApi>,
    size: number
  ) {
    this.size = Math.max(1, Math.floor(size));
  }

  /** Number of workers. */
  readonly size: number;

  private slots: Array<ISlot<TApi>> = [];
  private readonly queue: Array<IQueued<TApi>> = [];
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
   * Run `task` on the next free worker (or on worker `options.on` only) and unwrap its envelope.
   *
   * @throws LocolensError with the worker's code and message, or `worker-crashed` (also when the
   *   pinned worker was replaced since).
   */
  run<T>(task: (api: Remote<TApi>) => Promise<Envelope<T>>, options: { on?: IWorkerRef; owner?: string } = {}): Promise<ITaskResult<T>> {
    if (this.disposed) {
      return Promise.reject(new LocolensError('cancelled', 'the worker pool was shut down'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        run: task as (api: Remote<TApi>) => Promise<unknown>,
        resolve: resolve as (value: unknown) => void,
        reject,
        on: options.on,
        owner: options.owner
      });
      this.pump();
    });
  }

  /** Start every worker now (e.g. in an idle moment, before the first analysis). */
  warm<T>(task: (api: Remote<TApi>) => Promise<Envelope<T>>): Promise<Array<ITaskResult<T>>> {
    return Promise.all(
      Array.from({ length: this.size }, (_, slot) => this.run(task, { on: { slot, generation: this.slots[slot]?.generation ?? 0 } }))
    );
  }

  /** Run `task` once on every started worker (e.g. to drop a job's state); failures are ignored. */
  async broadcast<T>(task: (api: Remote<TApi>) => Promise<Envelope<T>>): Promise<void> {
    await Promise.allSettled(this.slots.map((slot, index) => this.run(task, { on: { slot: index, generation: slot.generation } })));
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

  /**
   * Start what can start. Among the tasks that could run now, the one whose owner (an analysis)
   * has the fewest tasks running goes first, then the owner served longest ago, then the oldest
   * task: a small analysis gets a worker as soon as one is free, not after a large one's queued
   * row groups.
   */
  private pump(): void {
    for (;;) {
      let best = -1;
      let bestSlot = -1;
      let bestRank = Infinity;
      for (let i = 0; i < this.queue.length; i++) {
        const queued = this.queue[i];
        let index: number;
        if (queued.on) {
          index = queued.on.slot;
          if (index < 0 || index >= this.size) {
            this.queue.splice(i--, 1);
            queued.reject(new LocolensError('bad-argument', `no worker ${index} in a pool of ${this.size}`));
            continue;
          }
          while (this.slots.length <= index) {
            this.start();
          }
        } else {
          index = this.slots.findIndex(candidate => !candidate.busy);
          if (index < 0 && this.slots.length < this.size) {
            index = this.start();
          }
        }
        const slot = index >= 0 ? this.slots[index] : undefined;
        if (!slot || slot.busy) {
          continue;
        }
        // Fewest running first; among equals, the owner that started a task longest ago.
        const running = this.slots.filter(candidate => candidate.busy && candidate.owner === queued.owner).length;
        const rank = running * 2 ** 40 + (this.lastStarted.get(queued.owner) ?? -1);
        if (rank < bestRank) {
          best = i;
          bestSlot = index;
          bestRank = rank;
        }
      }
      if (best < 0) {
        return;
      }
      const [queued] = this.queue.splice(best, 1);
      const slot = this.slots[bestSlot];
      if (queued.on && queued.on.generation !== slot.generation) {
        queued.reject(new LocolensError('worker-crashed', 'a worker holding part of this analysis was restarted'));
        continue;
      }
      this.lastStarted.set(queued.owner, this.started++);
      void this.execute(slot, bestSlot, queued);
    }
  }

  /** When each owner last had a task started (a counter), for sharing the workers. */
  private readonly lastStarted = new Map<string | undefined, number>();
  private started = 0;

  /** Start one more worker; its slot index. */
  private start(): number {
    const slot: ISlot<TApi> = { handle: this.factory(), busy: false, generation: 0 };
    this.watch(slot);
    this.slots.push(slot);
    return this.slots.length - 1;
  }

  private async execute(slot: ISlot<TApi>, index: number, queued: IQueued<TApi>): Promise<void> {
    slot.busy = true;
    slot.owner = queued.owner;
    const generation = slot.generation;
    // A promise per task, not a reaction on the worker's long-lived `crashed` promise: racing
    // that one would keep every result ever returned reachable (a leak of whole row groups).
    const crash = new Promise<{ crashed: string }>(resolve => (slot.onCrash = reason => resolve({ crashed: reason })));
    try {
      const outcome = await Promise.race([queued.run(slot.handle.api).then(envelope => ({ envelope }) as const), crash]);
      if ('crashed' in outcome) {
        this.replace(slot, generation);
        // A worker that died decoding damaged data says so (code and where); others are crashes.
        const coded = codedCrash(outcome.crashed);
        queued.reject(
          coded
            ? new LocolensError(coded.code as LocolensErrorCode, coded.message)
            : new LocolensError('worker-crashed', `a decode worker stopped: ${outcome.crashed}`)
        );
        return;
      }
      const envelope = outcome.envelope as Envelope<unknown>;
      if (envelope.ok) {
        queued.resolve({ value: envelope.value, io: envelope.io, worker: { slot: index, generation } });
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
      slot.owner = undefined;
      if (!this.disposed) {
        this.pump();
      }
    }
  }

  private replace(slot: ISlot<TApi>, generation: number): void {
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
  private watch(slot: ISlot<TApi>): void {
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
