/**
 * The IndexedDB result cache (fake-indexeddb in Node): keys, hits, staleness, LRU eviction,
 * corrupted entries, and stepping aside when there is no IndexedDB.
 */
import 'fake-indexeddb/auto';

import { jest } from '@jest/globals';

import { openDB } from 'idb';

import { ResultCache, approximateBytes, cacheKey, type ICacheKey } from '../result-cache';

const KEY: ICacheKey = {
  path: 'data/walk.parquet',
  size: 1000,
  lastModified: '2026-11-26T00:00:00Z',
  footerHash: 'abc',
  operation: 'summary',
  params: {},
  version: '0.1.0'
};

const isNumbers = (value: unknown): value is { n: number; data: Float64Array } =>
  // Stored values come back through structured clone, from another realm in jest: no instanceof.
  !!value &&
  typeof value === 'object' &&
  typeof (value as { n: unknown }).n === 'number' &&
  Object.prototype.toString.call((value as { data: unknown }).data) === '[object Float64Array]';

let database = 0;
function cache(maxBytes = 1e6): ResultCache {
  database += 1;
  return new ResultCache(maxBytes, `locolens-test-${database}`);
}

describe('ResultCache', () => {
  it('computes once, then hits with the same value', async () => {
    const c = cache();
    let computed = 0;
    const compute = async () => ({ n: ++computed, data: Float64Array.from([1, 2, 3]) });
    const first = await c.getOrCompute(KEY, compute, isNumbers);
    const second = await c.getOrCompute(KEY, compute, isNumbers);
    expect([first.hit, second.hit]).toEqual([false, true]);
    expect(second.value.n).toBe(1);
    expect(Array.from(second.value.data)).toEqual([1, 2, 3]);
    expect(computed).toBe(1);
    expect(await c.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
  });

  it.each([
    ['a changed size', { size: 1001 }],
    ['a changed modification time', { lastModified: '2026-11-27T00:00:00Z' }],
    ['a changed footer', { footerHash: 'abd' }],
    ['another operation', { operation: 'analysis' }],
    ['other parameters', { params: { ddof: 1 } }],
    ['another locolens version', { version: '0.2.0' }]
  ])('never serves a stale value: %s is another key', async (_, change) => {
    const c = cache();
    await c.getOrCompute(KEY, async () => ({ n: 1, data: new Float64Array(1) }), isNumbers);
    const changed = await c.getOrCompute({ ...KEY, ...change }, async () => ({ n: 2, data: new Float64Array(1) }), isNumbers);
    expect(changed).toMatchObject({ hit: false, value: { n: 2 } });
    expect(cacheKey({ ...KEY, ...change })).not.toBe(cacheKey(KEY));
  });

  it('evicts the least recently used entries past its size cap', async () => {
    const entry = (n: number) => ({ n, data: new Float64Array(100) }); // ~ 800 bytes each
    const size = approximateBytes(entry(0));
    const c = cache(size * 2 + 10);
    const key = (n: number) => ({ ...KEY, params: { n } });
    await c.getOrCompute(key(1), async () => entry(1), isNumbers);
    await c.getOrCompute(key(2), async () => entry(2), isNumbers);
    await c.getOrCompute(key(1), async () => entry(-1), isNumbers); // touch 1: 2 is now the oldest
    await c.getOrCompute(key(3), async () => entry(3), isNumbers);
    expect((await c.getOrCompute(key(1), async () => entry(-1), isNumbers)).hit).toBe(true);
    expect((await c.getOrCompute(key(3), async () => entry(-3), isNumbers)).hit).toBe(true);
    expect((await c.getOrCompute(key(2), async () => entry(-2), isNumbers)).hit).toBe(false);
    expect((await c.stats()).bytes).toBeLessThanOrEqual(size * 2 + 10);
  });

  it('drops a corrupted entry and recomputes', async () => {
    const name = 'locolens-corrupt';
    const first = new ResultCache(1e6, name);
    await first.getOrCompute(KEY, async () => ({ n: 1, data: new Float64Array(1) }), isNumbers);
    // Another reader expects another shape: the stored value does not validate.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const second = new ResultCache(1e6, name);
    const isString = (value: unknown): value is string => typeof value === 'string';
    const again = await second.getOrCompute(KEY, async () => 'fresh', isString);
    expect(again).toEqual({ value: 'fresh', hit: false });
    expect(warn.mock.calls[0][0]).toMatch(/corrupted entry was dropped/);
    expect((await second.getOrCompute(KEY, async () => 'other', isString)).value).toBe('fresh');
    warn.mockRestore();
  });

  it('drops a version-1 database (values and LRU records in one store) on upgrade', async () => {
    const name = 'locolens-v1';
    const old = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('entries', { keyPath: 'key' }).createIndex('lastUsed', 'lastUsed');
      }
    });
    await old.put('entries', {
      key: cacheKey(KEY),
      value: { n: 9, data: new Float64Array(1) },
      bytes: 8,
      lastUsed: 1,
      created: 1,
      version: KEY.version
    });
    old.close();
    const c = new ResultCache(1e6, name);
    expect((await c.getOrCompute(KEY, async () => ({ n: 1, data: new Float64Array(1) }), isNumbers)).value.n).toBe(1);
    expect((await c.getOrCompute(KEY, async () => ({ n: 2, data: new Float64Array(1) }), isNumbers)).hit).toBe(true);
    expect((await c.stats()).entries).toBe(1);
  });

  it('does not store a value larger than its cap', async () => {
    const c = cache(100);
    await c.getOrCompute(KEY, async () => ({ n: 1, data: new Float64Array(1000) }), isNumbers);
    expect((await c.getOrCompute(KEY, async () => ({ n: 2, data: new Float64Array(1) }), isNumbers)).hit).toBe(false);
  });

  it('steps aside, with a reason, where there is no IndexedDB', async () => {
    const saved = globalThis.indexedDB;
    delete (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    try {
      const c = new ResultCache(1e6, 'locolens-none');
      const result = await c.getOrCompute(
        KEY,
        async () => 'computed',
        (v): v is string => typeof v === 'string'
      );
      expect(result).toEqual({ value: 'computed', hit: false });
      expect((await c.stats()).disabled).toBe('IndexedDB is not available here');
    } finally {
      (globalThis as { indexedDB?: IDBFactory }).indexedDB = saved;
    }
  });

  it('clears everything', async () => {
    const c = cache();
    await c.getOrCompute(KEY, async () => ({ n: 1, data: new Float64Array(1) }), isNumbers);
    await c.clear();
    expect(await c.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect((await c.getOrCompute(KEY, async () => ({ n: 2, data: new Float64Array(1) }), isNumbers)).hit).toBe(false);
  });
});
