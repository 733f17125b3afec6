/**
 * The result cache under two tabs and storage faults (fake-indexeddb): the same key computed at
 * once by two caches of one database (one computation, one entry), an upgrade blocked by an old
 * connection, a second connection's upgrade or deletion (versionchange), a connection closed
 * under us, a database that cannot be opened, and the quota exhausted: each time the value is
 * computed, with at most one warning, and nothing half-written read back.
 */
import 'fake-indexeddb/auto';

import { jest } from '@jest/globals';

import { openDB } from 'idb';

import { LocalLocks } from '../../store/locks';
import { ResultCache, type ICacheKey } from '../result-cache';

const KEY: ICacheKey = {
  path: 'data/walk.parquet',
  size: 1000,
  lastModified: '2026-11-26T00:00:00Z',
  footerHash: 'abc',
  operation: 'analysis',
  params: {},
  version: '0.1.0'
};

const isNumber = (value: unknown): value is number => typeof value === 'number';

let database = 0;
const nextName = () => `locolens-faults-${++database}`;

let warn: ReturnType<typeof jest.spyOn>;
beforeEach(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());

/** Settles within `ms`, or fails the test (a cache must never hang). */
async function soon<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)))
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ResultCache with two tabs', () => {
  it('computes a key once when two tabs ask for it at the same time: one entry, the second a hit', async () => {
    const name = nextName();
    const locks = new LocalLocks();
    const tabA = new ResultCache(1e6, name, { locks });
    const tabB = new ResultCache(1e6, name, { locks });
    let computed = 0;
    const compute = async () => {
      computed += 1;
      await new Promise(resolve => setTimeout(resolve, 50));
      return 42;
    };
    const [a, b] = await Promise.all([tabA.getOrCompute(KEY, compute, isNumber), tabB.getOrCompute(KEY, compute, isNumber)]);
    expect(computed).toBe(1);
    expect([a.value, b.value]).toEqual([42, 42]);
    expect([a.hit, b.hit].sort()).toEqual([false, true]);
    expect((await tabA.stats()).entries).toBe(1);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a tab waiting for another one computing the same key can be cancelled', async () => {
    const name = nextName();
    const locks = new LocalLocks();
    const tabA = new ResultCache(1e6, name, { locks });
    const tabB = new ResultCache(1e6, name, { locks });
    let finish!: (value: number) => void;
    const slow = tabA.getOrCompute(KEY, () => new Promise<number>(resolve => (finish = resolve)), isNumber);
    await new Promise(resolve => setTimeout(resolve, 20));
    const controller = new AbortController();
    const waiting = tabB.getOrCompute(
      KEY,
      async () => 1,
      isNumber,
      value => value,
      controller.signal
    );
    controller.abort();
    await expect(soon(waiting)).rejects.toMatchObject({ code: 'cancelled' });
    finish(7);
    expect((await slow).value).toBe(7);
  });

  it('closes its connection when another tab upgrades the database (versionchange), which then does not block', async () => {
    const name = nextName();
    const c = new ResultCache(1e6, name);
    await c.getOrCompute(KEY, async () => 1, isNumber);
    // Another tab (a newer locolens) opens version 3: not blocked, since this one closes.
    const newer = await soon(openDB(name, 3, { blocked: () => undefined }));
    newer.close();
    // This tab's version is now older than the database's: it steps aside, once, and computes.
    expect((await soon(c.getOrCompute(KEY, async () => 2, isNumber))).value).toBe(2);
    expect((await c.getOrCompute(KEY, async () => 3, isNumber)).value).toBe(3);
    expect((await c.stats()).disabled).toBe('IndexedDB cannot be opened');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('opens the database again when another tab deletes it (versionchange), and serves from it', async () => {
    const name = nextName();
    const c = new ResultCache(1e6, name);
    await c.getOrCompute(KEY, async () => 1, isNumber);
    await soon(
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase(name);
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
      })
    );
    const again = await soon(c.getOrCompute(KEY, async () => 2, isNumber));
    expect(again).toEqual({ value: 2, hit: false });
    expect(await c.getOrCompute(KEY, async () => 3, isNumber)).toEqual({ value: 2, hit: true });
    expect((await c.stats()).disabled).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });

  it('steps aside at once, with a clear warning, when an old tab blocks its upgrade', async () => {
    const name = nextName();
    // An old tab: version 1 open, no versionchange handler (it never closes).
    const old = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('entries', { keyPath: 'key' });
      }
    });
    const c = new ResultCache(1e6, name);
    expect(await soon(c.getOrCompute(KEY, async () => 5, isNumber))).toEqual({ value: 5, hit: false });
    expect(await soon(c.getOrCompute(KEY, async () => 6, isNumber))).toEqual({ value: 6, hit: false });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/another tab holds an older version of the cache open/);
    expect((await c.stats()).disabled).toBe('IndexedDB cannot be opened');
    // When the old tab goes, the pending upgrade completes and its connection is closed: nothing hangs.
    old.close();
    const later = await soon(openDB(name, 4, { blocked: () => undefined }));
    later.close();
  });

  it('a connection closed under it is opened again at the next use', async () => {
    const c = new ResultCache(1e6, nextName());
    await c.getOrCompute(KEY, async () => 1, isNumber);
    (await (c as unknown as { db: Promise<{ close(): void }> }).db).close();
    // The read meets a closed connection: a miss, not a step aside; the write reopens.
    expect(await c.getOrCompute({ ...KEY, params: { other: 1 } }, async () => 2, isNumber)).toEqual({ value: 2, hit: false });
    expect(await c.getOrCompute({ ...KEY, params: { other: 1 } }, async () => 3, isNumber)).toEqual({ value: 2, hit: true });
    expect((await c.stats()).disabled).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('ResultCache under storage faults', () => {
  it('computes without the cache, with one warning, when IndexedDB fails to open', async () => {
    const failing = (() => Promise.reject(new DOMException('the database is broken', 'UnknownError'))) as unknown as typeof openDB;
    const c = new ResultCache(1e6, nextName(), { openDB: failing });
    for (let i = 0; i < 3; i++) {
      expect(await c.getOrCompute(KEY, async () => i, isNumber)).toEqual({ value: i, hit: false });
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/IndexedDB cannot be opened .*the database is broken/);
    expect(await c.stats()).toMatchObject({ disabled: 'IndexedDB cannot be opened', misses: 3, hits: 0 });
  });

  it('computes without the cache when openDB throws synchronously', async () => {
    const throwing = (() => {
      throw new DOMException('blocked by the browser', 'SecurityError');
    }) as unknown as typeof openDB;
    const c = new ResultCache(1e6, nextName(), { openDB: throwing });
    expect(await c.getOrCompute(KEY, async () => 1, isNumber)).toEqual({ value: 1, hit: false });
    expect(await c.getOrCompute(KEY, async () => 2, isNumber)).toEqual({ value: 2, hit: false });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('the quota exhausted while writing: one warning, the cache emptied and set aside, no entry half-written', async () => {
    const name = nextName();
    const c = new ResultCache(1e6, name);
    await c.getOrCompute(KEY, async () => 1, isNumber);
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      // The value's store takes it; its LRU record is over the quota (the transaction aborts).
      if (this.name === 'meta' && (args[0] as { key: string }).key.includes('"big"')) {
        throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
      }
      return put.apply(this, args);
    };
    try {
      for (let i = 0; i < 3; i++) {
        const key = { ...KEY, params: { big: i } };
        expect(await c.getOrCompute(key, async () => 10 + i, isNumber)).toEqual({ value: 10 + i, hit: false });
      }
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/quota is full/);
    expect((await c.stats()).disabled).toBe('the browser storage quota is full');
    // Another tab finds no half-written entry: neither a value without its record nor the reverse.
    const other = new ResultCache(1e6, name);
    expect(await other.stats()).toMatchObject({ entries: 0 });
    const db = await openDB(name, ResultCache.VERSION);
    expect(await db.count('entries')).toBe(0);
    expect(await db.count('meta')).toBe(0);
    db.close();
  });
});
