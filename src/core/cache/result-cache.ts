/**
 * A cache of computed results (dataset summaries first) in IndexedDB, through `idb`.
 *
 * #### Notes
 * - Keys name everything the value depends on: the file's identity (server path, size,
 *   last_modified and a hash of its parquet footer), the operation, its parameters and the
 *   locolens version. A changed file or a new version is a different key: never stale data.
 * - Least recently used entries go first when the total size passes the cap.
 * - Any storage failure (quota exceeded, private mode without IndexedDB, a database that cannot
 *   be opened or whose upgrade another tab blocks) makes the cache step aside for the session:
 *   one console warning, the value computed as if there were no cache, never an error for the
 *   user. Quota exceeded also empties it, to give the space back.
 * - Two tabs share the database: a key is computed and written under an exclusive Web Lock on
 *   it (the second tab waits, then reads the first one's value: computed once, stored once), and
 *   a value and its LRU record are written in one transaction (no reader sees half an entry).
 * - Another tab opening a newer version (`versionchange`) makes this one close its connection;
 *   a connection closed under us (by that, or by the browser) is opened again at the next use.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

import { LocolensError } from '../errors';
import { defaultLocks, holdLock, type ILockManager } from '../store/locks';

/** What a cached value depends on. */
export interface ICacheKey {
  path: string;
  size: number;
  lastModified: string;
  footerHash: string;
  operation: string;
  params: unknown;
  version: string;
}

/** Counters for gauges. */
export interface ICacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  /** Set when the cache stepped aside, with the reason. */
  disabled?: string;
}

/** A value (large: a whole analysis result). */
interface IEntry {
  key: string;
  value: unknown;
}

/** What the LRU needs of an entry (small: read and written without the value). */
interface IMeta {
  key: string;
  bytes: number;
  lastUsed: number;
  created: number;
  version: string;
}

interface ICacheSchema extends DBSchema {
  entries: { key: string; value: IEntry };
  meta: { key: string; value: IMeta; indexes: { lastUsed: number } };
}

/** The serialized form of a key (stable property order). */
export function cacheKey(key: ICacheKey): string {
  return JSON.stringify([key.version, key.operation, key.path, key.size, key.lastModified, key.footerHash, key.params]);
}

/** Approximate bytes of a structured-cloneable value. */
export function approximateBytes(value: unknown): number {
  if (value === null || value === undefined) {
    return 8;
  }
  if (ArrayBuffer.isView(value)) {
    return value.byteLength;
  }
  if (typeof value === 'string') {
    return value.length * 2;
  }
  if (typeof value !== 'object') {
    return 8;
  }
  let total = 16;
  for (const item of Array.isArray(value) ? value : Object.values(value as object)) {
    total += approximateBytes(item);
  }
  return total;
}

/** A size-capped LRU cache in IndexedDB. */
export class ResultCache {
  /**
   * @param maxBytes - size cap; least recently used entries are evicted past it.
   * @param name - the IndexedDB database name.
   */
  constructor(
    public maxBytes: number,
    private readonly name = 'locolens-cache',
    private readonly services: { openDB?: typeof openDB; locks?: ILockManager } = {}
  ) {}

  /** The schema version this code writes. */
  static readonly VERSION = 2;

  private db: Promise<IDBPDatabase<ICacheSchema>> | null = null;
  private clock = 0;

  /** A use time that grows with every use, even within one millisecond (LRU order). */
  private tick(): number {
    this.clock = Math.max(Date.now(), this.clock + 1);
    return this.clock;
  }
  private readonly counters: ICacheStats = { hits: 0, misses: 0, entries: 0, bytes: 0 };

  /** Hits, misses, entries and bytes. */
  async stats(): Promise<ICacheStats> {
    const db = await this.open();
    if (db) {
      try {
        const all = await db.getAll('meta');
        this.counters.entries = all.length;
        this.counters.bytes = all.reduce((sum, meta) => sum + meta.bytes, 0);
      } catch (error) {
        this.failed('reading the cache failed', error);
      }
    }
    return { ...this.counters };
  }

  /** Change the size cap (evicts at the next write). */
  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
  }

  /**
   * The cached value for `key`, or `compute()` stored under it.
   *
   * @param validate - rejects a cached value of the wrong shape (a corrupted entry): it is then
   *   deleted and recomputed.
   * @param stored - the form kept in the cache (default: the value itself). A `compute` that
   *   throws (e.g. a cancelled analysis) stores nothing.
   * @param signal - stops waiting for another tab computing the same key (a `cancelled` error).
   */
  async getOrCompute<T>(
    key: ICacheKey,
    compute: () => Promise<T>,
    validate: (value: unknown) => value is T,
    stored: (value: T) => unknown = value => value,
    signal?: AbortSignal
  ): Promise<{ value: T; hit: boolean }> {
    const id = cacheKey(key);
    if (!(await this.open())) {
      this.counters.misses += 1;
      return { value: await compute(), hit: false };
    }
    // One computation and one write per key at a time, across tabs: a second one waits, then hits.
    let release: (() => void) | null;
    try {
      release = await holdLock(this.services.locks ?? defaultLocks(), `locolens-cache:${this.name}:${id}`, { signal });
    } catch (error) {
      if (signal?.aborted) {
        throw new LocolensError('cancelled', 'the analysis was cancelled');
      }
      throw error;
    }
    try {
      return await this.lockedGetOrCompute(id, key, compute, validate, stored);
    } finally {
      release?.();
    }
  }

  private async lockedGetOrCompute<T>(
    id: string,
    key: ICacheKey,
    compute: () => Promise<T>,
    validate: (value: unknown) => value is T,
    stored: (value: T) => unknown
  ): Promise<{ value: T; hit: boolean }> {
    const db = await this.open();
    if (db) {
      try {
        const entry = await db.get('entries', id);
        if (entry && validate(entry.value)) {
          this.counters.hits += 1;
          // Only the small record is rewritten: the value stays where it is.
          const meta = await db.get('meta', id);
          if (meta) {
            meta.lastUsed = this.tick();
            await db.put('meta', meta);
          }
          return { value: entry.value, hit: true };
        }
        if (entry) {
          console.warn(`locolens cache: a corrupted entry was dropped (${key.operation} of ${key.path})`);
          await this.remove(db, id);
        }
      } catch (error) {
        this.failed('reading the cache failed', error);
      }
    }
    this.counters.misses += 1;
    const value = await compute();
    await this.put(id, key, stored(value));
    return { value, hit: false };
  }

  /** Remove every entry. */
  async clear(): Promise<void> {
    const db = await this.open();
    try {
      await db?.clear('entries');
      await db?.clear('meta');
    } catch (error) {
      this.failed('clearing the cache failed', error);
    }
    this.counters.entries = 0;
    this.counters.bytes = 0;
  }

  private async put(id: string, key: ICacheKey, value: unknown): Promise<void> {
    const db = await this.open();
    if (!db) {
      return;
    }
    const bytes = approximateBytes(value);
    if (bytes > this.maxBytes) {
      return;
    }
    try {
      await this.evict(db, bytes);
      const transaction = db.transaction(['entries', 'meta'], 'readwrite');
      await Promise.all([
        transaction.objectStore('entries').put({ key: id, value }),
        transaction.objectStore('meta').put({ key: id, bytes, lastUsed: this.tick(), created: Date.now(), version: key.version }),
        transaction.done
      ]);
    } catch (error) {
      if ((error as DOMException)?.name === 'QuotaExceededError') {
        // The space goes back to the other caches and tabs; the failed transaction wrote nothing.
        await this.clear();
        this.stepAside('the browser storage quota is full', error);
        return;
      }
      this.failed('writing to the cache failed', error);
    }
  }

  /** Drop least recently used entries until `incoming` more bytes fit under the cap. */
  private async evict(db: IDBPDatabase<ICacheSchema>, incoming: number): Promise<void> {
    const all = await db.getAllFromIndex('meta', 'lastUsed');
    let total = all.reduce((sum, meta) => sum + meta.bytes, 0);
    for (const meta of all) {
      if (total + incoming <= this.maxBytes) {
        break;
      }
      await this.remove(db, meta.key);
      total -= meta.bytes;
    }
  }

  /** Delete an entry and its record. */
  private async remove(db: IDBPDatabase<ICacheSchema>, id: string): Promise<void> {
    const transaction = db.transaction(['entries', 'meta'], 'readwrite');
    await Promise.all([transaction.objectStore('entries').delete(id), transaction.objectStore('meta').delete(id), transaction.done]);
  }

  private open(): Promise<IDBPDatabase<ICacheSchema> | null> {
    if (this.counters.disabled) {
      return Promise.resolve(null);
    }
    if (typeof indexedDB === 'undefined') {
      this.counters.disabled = 'IndexedDB is not available here';
      return Promise.resolve(null);
    }
    if (!this.db) {
      // (A connection closed under us, by another tab's upgrade or the browser, forgets itself:
      // see connect(); the next use opens it again.)
      this.db = this.connect();
    }
    return this.db.catch(error => {
      this.stepAside('IndexedDB cannot be opened', error);
      return null;
    });
  }

  /** Open the database; a request another tab blocks fails at once (no hanging). */
  private connect(): Promise<IDBPDatabase<ICacheSchema>> {
    return new Promise((resolve, reject) => {
      let blocked = false;
      const request = (this.services.openDB ?? openDB)<ICacheSchema>(this.name, ResultCache.VERSION, {
        // Version 2 keeps values and their LRU records apart (version 1 held both in one store and
        // is dropped on upgrade: it is a cache).
        upgrade(db, oldVersion) {
          if (oldVersion < 2) {
            for (const name of Array.from(db.objectStoreNames)) {
              db.deleteObjectStore(name);
            }
            db.createObjectStore('entries', { keyPath: 'key' });
            db.createObjectStore('meta', { keyPath: 'key' }).createIndex('lastUsed', 'lastUsed');
          }
        },
        // Another tab holds an older version open and does not close it: step aside now rather
        // than wait for it (the request, should it complete later, is closed at once).
        blocked: () => {
          blocked = true;
          reject(new Error('another tab holds an older version of the cache open; close or reload it'));
        },
        // Another tab opens a newer version: close this connection so that it can upgrade.
        blocking: (_current, _next, event) => {
          (event.target as IDBDatabase).close();
          if (this.db) {
            this.db = null;
          }
        },
        terminated: () => {
          this.db = null;
        }
      });
      request.then(
        db => (blocked ? db.close() : resolve(db)),
        error => reject(error)
      );
    });
  }

  /** A failed operation: a connection closed under us is opened again next time; anything else steps aside. */
  private failed(reason: string, error: unknown): void {
    if ((error as DOMException)?.name === 'InvalidStateError') {
      this.db = null;
      return;
    }
    this.stepAside(reason, error);
  }

  private stepAside(reason: string, error: unknown): void {
    if (!this.counters.disabled) {
      console.warn(`locolens cache: ${reason} (${String(error)}); results are computed without it`);
    }
    this.counters.disabled = reason;
    this.db = null;
  }
}
