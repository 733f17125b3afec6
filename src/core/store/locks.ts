/**
 * Locks shared by every tab and worker of an origin: the Web Locks API (`navigator.locks`) where
 * it exists, an in-process stand-in with the same semantics elsewhere (Node 20, tests).
 *
 * #### Notes
 * Two JupyterLab tabs of one server share the origin's IndexedDB and OPFS. A tensor-store block
 * is written under an exclusive lock on its folder and read under a shared one; a result-cache
 * key is computed and written under an exclusive lock on the key. Locks are released when the
 * holder's work ends, or by the browser when its tab or worker goes away.
 */

/** A lock's mode: one exclusive holder, or any number of shared ones. */
export type LockMode = 'exclusive' | 'shared';

/** The options of a request (as `LockManager.request`'s). */
export interface ILockOptions {
  mode?: LockMode;
  /** Grant it now or call back with null, never wait. */
  ifAvailable?: boolean;
  /** Stops waiting (the request rejects with an AbortError). */
  signal?: AbortSignal;
}

/** What locolens uses of the Web Locks API's `LockManager`. */
export interface ILockManager {
  request<T>(name: string, options: ILockOptions, callback: (lock: unknown) => T | Promise<T>): Promise<T>;
}

/** The Web Locks API's semantics in one JavaScript realm (queued in order, shared or exclusive). */
export class LocalLocks implements ILockManager {
  private readonly names = new Map<string, { held: LockMode[]; waiting: Array<{ mode: LockMode; grant: () => void }> }>();

  async request<T>(name: string, options: ILockOptions, callback: (lock: unknown) => T | Promise<T>): Promise<T> {
    const mode = options.mode ?? 'exclusive';
    let entry = this.names.get(name);
    if (!entry) {
      entry = { held: [], waiting: [] };
      this.names.set(name, entry);
    }
    const state = entry;
    if (state.waiting.length === 0 && compatible(state.held, mode)) {
      state.held.push(mode);
    } else if (options.ifAvailable) {
      return callback(null);
    } else {
      if (options.signal?.aborted) {
        throw options.signal.reason ?? abortError();
      }
      await new Promise<void>((resolve, reject) => {
        const waiter = { mode, grant: resolve };
        state.waiting.push(waiter);
        options.signal?.addEventListener('abort', () => {
          const at = state.waiting.indexOf(waiter);
          if (at >= 0) {
            state.waiting.splice(at, 1);
            reject(options.signal?.reason ?? abortError());
            this.grant(name);
          }
        });
      });
    }
    try {
      return await callback({ name, mode });
    } finally {
      state.held.splice(state.held.indexOf(mode), 1);
      this.grant(name);
    }
  }

  /** Grant waiting requests in order while they are compatible with the held ones. */
  private grant(name: string): void {
    const state = this.names.get(name);
    if (!state) {
      return;
    }
    while (state.waiting.length && compatible(state.held, state.waiting[0].mode)) {
      const next = state.waiting.shift()!;
      state.held.push(next.mode);
      next.grant();
    }
    if (!state.held.length && !state.waiting.length) {
      this.names.delete(name);
    }
  }
}

function compatible(held: LockMode[], mode: LockMode): boolean {
  return held.length === 0 || (mode === 'shared' && held.every(other => other === 'shared'));
}

function abortError(): Error {
  return typeof DOMException === 'function' ? new DOMException('the lock request was aborted', 'AbortError') : new Error('aborted');
}

const local = new LocalLocks();

/** The origin's locks (`navigator.locks`), or this realm's where the API is absent. */
export function defaultLocks(): ILockManager {
  const locks = (globalThis as { navigator?: { locks?: ILockManager } }).navigator?.locks;
  return locks && typeof locks.request === 'function' ? locks : local;
}

/**
 * Take a lock and keep it until the returned function is called (the Web Locks API holds a lock
 * for the duration of a callback; this turns that into an explicit release).
 *
 * @returns the release, or null when `ifAvailable` was asked and the lock is held elsewhere.
 */
export function holdLock(locks: ILockManager, name: string, options: ILockOptions = {}): Promise<(() => void) | null> {
  return new Promise((resolve, reject) => {
    locks
      .request(name, options, lock => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise<void>(release => {
          let released = false;
          resolve(() => {
            if (!released) {
              released = true;
              release();
            }
          });
        });
      })
      .catch(reject);
  });
}
