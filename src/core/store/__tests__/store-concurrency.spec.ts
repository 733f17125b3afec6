/**
 * The tensor store shared by two tabs (two stores on one root and one lock manager, as two
 * JupyterLab tabs share OPFS and navigator.locks) and under storage faults: the same file
 * analysed by both at once writes each block once and completely; a block being read is neither
 * rewritten nor removed; the quota exhausted in the middle of writing (real Node workers whose
 * store writes fail after N bytes), OPFS or its sync access handles missing: the analysis gives
 * the same numbers, the store steps aside with one warning, nothing half-written is read back.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { jest } from '@jest/globals';

import { analyzeDataset } from '../../analysis/analyze-dataset';
import { analysisToJSON, type IAnalysisResult } from '../../analysis/result';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { PHASES } from '../../kernels/types';
import { createNodePool } from '../../pool/node-pool';
import { WorkerPool } from '../../pool/worker-pool';
import { DecodeService, type DecodePool, type IDecodeService } from '../../worker/decode-service';
import { LOCOLENS_VERSION } from '../../version';
import { LocalLocks } from '../locks';
import { OpfsChunkFiles } from '../opfs-chunk-files';
import { TensorStore, type IStoredBlock } from '../tensor-store';
import { fixture } from '../../../../test/fixtures';

let pool: DecodePool;
let folder: string;
let warn: ReturnType<typeof jest.spyOn>;

beforeAll(() => {
  pool = createNodePool(2);
});

afterAll(() => pool.dispose());

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'locolens-tabs-'));
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  warn.mockRestore();
  rmSync(folder, { recursive: true, force: true });
});

async function analyze(path: string, store: TensorStore | null, memoryBudget?: number, on: DecodePool = pool) {
  const summary = await inspectDataset(on, { kind: 'file', path });
  const info = statSync(path);
  const identity = JSON.stringify([path, info.size, info.mtimeMs, summary.footerHash]);
  return analyzeDataset(on, { kind: 'file', path }, {}, { summary, memoryBudget, ...(store ? { store: { store, identity } } : {}) });
}

/** The numbers of a result (no timings, io or provenance). */
function numbers(result: IAnalysisResult): unknown {
  return (analysisToJSON(result) as Record<string, unknown>).groups;
}

const blockCount = (result: IAnalysisResult) => result.groups.reduce((sum, group) => sum + group.subjects.length, 0);

/**
 * The store's folders on disk, checked: an indexed folder has every chunk its index names, at
 * its exact size, and nothing else but the use marker; no temporary file anywhere.
 *
 * @returns the indexed folders and the others.
 */
function inspectStore(root: string): { indexed: string[]; other: string[] } {
  const indexed: string[] = [];
  const other: string[] = [];
  for (const name of existsSync(root) ? readdirSync(root) : []) {
    const files = readdirSync(join(root, name));
    expect(files.filter(file => file.endsWith('.tmp'))).toEqual([]);
    if (!files.includes('index.json')) {
      other.push(name);
      continue;
    }
    const index = JSON.parse(readFileSync(join(root, name, 'index.json'), 'utf8')) as IStoredBlock;
    for (const chunk of index.chunks) {
      expect(statSync(join(root, name, chunk.name)).size).toBe(index.features.length * chunk.cycles * PHASES * 4);
    }
    expect(files.sort()).toEqual(
      ['index.json', ...index.chunks.map(chunk => chunk.name), ...(files.includes('used') ? ['used'] : [])].sort()
    );
    indexed.push(name);
  }
  return { indexed, other };
}

describe('two tabs sharing the tensor store', () => {
  it.each([
    ['in memory', undefined],
    ['spilling under a 60 kB budget', 60_000]
  ])('analyse the same file at once (%s): each block written once and complete, the same numbers', async (_, budget) => {
    const path = fixture('multi_rowgroup.parquet');
    const root = join(folder, 'tensors');
    const locks = new LocalLocks();
    const tabA = new TensorStore(pool, root, LOCOLENS_VERSION, undefined, locks);
    const tabB = new TensorStore(pool, root, LOCOLENS_VERSION, undefined, locks);
    const [a, b] = await Promise.all([analyze(path, tabA, budget), analyze(path, tabB, budget)]);
    expect(numbers(b)).toEqual(numbers(a));
    const blocks = blockCount(a);
    expect(blocks).toBeGreaterThan(1);
    // Written once in all: a block one tab claimed is not written by the other.
    expect(tabA.stats.blocksWritten + tabB.stats.blocksWritten).toBe(blocks);
    const { indexed, other } = inspectStore(root);
    expect(indexed.length).toBe(blocks);
    // No private spill folder or unfinished block is left behind.
    expect(other).toEqual([]);
    // A third tab reads them all, without parquet: the same numbers.
    const third = new TensorStore(pool, root, LOCOLENS_VERSION, undefined, locks);
    const again = await analyze(path, third, budget);
    expect(again.tensorSource).toBe('store');
    expect(numbers(again)).toEqual(numbers(a));
    expect(third.stats.blocksWritten).toBe(0);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a block being written is not read or written by another tab; a block being read is not rewritten or removed', async () => {
    const root = join(folder, 'tensors');
    const locks = new LocalLocks();
    const tabA = new TensorStore(pool, root, LOCOLENS_VERSION, undefined, locks);
    const tabB = new TensorStore(pool, root, LOCOLENS_VERSION, 1, locks);
    const tensor = { features: ['x'], cycles: 1, data: Float32Array.from({ length: PHASES }, (_, i) => i) };
    const writer = tabA.writer('b1', 's', 't', ['x'], 1);
    await writer.add(0, tensor);
    // Being written: not readable, not claimable, not removable elsewhere.
    expect(await tabB.openBlocks(['b1'], ['x'])).toBeNull();
    expect(await tabB.claim('b1')).toBeNull();
    expect(await tabB.remove('b1')).toBe(false);
    await writer.commit();
    expect(tabA.stats.blocksWritten).toBe(1);
    // Stored: readable by both at once, not written again.
    const readingA = await tabA.openBlocks(['b1'], ['x']);
    const readingB = await tabB.openBlocks(['b1'], ['x']);
    expect(readingA?.blocks[0].index.cycles).toBe(1);
    expect(readingB?.blocks[0].index.cycles).toBe(1);
    expect(await tabB.claim('b1')).toBeNull();
    const second = tabB.writer('b1', 's', 't', ['x'], 1);
    await second.add(0, { ...tensor, data: new Float32Array(PHASES).fill(-1) });
    await second.commit();
    expect(tabB.stats.blocksWritten).toBe(0);
    // While read, neither eviction (tabB's cap is 1 byte) nor removal touches it.
    expect(await tabB.evict()).toBe(0);
    expect(await tabA.remove('b1')).toBe(false);
    const bytes = await tabB.readChunk('b1', readingB!.blocks[0].index, 0);
    expect(Array.from(bytes.data)).toEqual(Array.from(tensor.data));
    await readingA!.release();
    await readingB!.release();
    expect(await tabB.evict()).toBe(1);
    expect(inspectStore(root)).toEqual({ indexed: [], other: [] });
  });

  it('a private spill folder is claimed when the block is taken, and removed at the end', async () => {
    const root = join(folder, 'tensors');
    const locks = new LocalLocks();
    const store = new TensorStore(pool, root, LOCOLENS_VERSION, undefined, locks);
    const held = await store.claim('b2');
    expect(held?.folder).toBe('b2');
    const spill = await store.claim('b2', { private: true });
    expect(spill?.folder).toMatch(/^b2-[0-9a-f]+$/);
    expect(spill?.private).toBe(true);
    await spill!.remove();
    await held!.remove();
    expect(await store.claim('b2')).not.toBeNull();
  });
});

describe('the tensor store under storage faults', () => {
  let faulty: DecodePool | null = null;
  afterEach(() => {
    faulty?.dispose();
    faulty = null;
  });

  it.each([
    ['in memory', undefined],
    ['spilling under a 60 kB budget', 60_000]
  ])('the quota exhausted mid-write (%s): the same numbers, one warning, no half-written block read back', async (_, budget) => {
    const path = fixture('multi_rowgroup.parquet');
    const root = join(folder, 'tensors');
    const reference = await analyze(path, new TensorStore(pool, join(folder, 'reference'), LOCOLENS_VERSION), budget);
    // Real workers whose store writes fail after 100 kB each (a chunk is cut in the middle).
    // (jest's process.env is its own copy: the quota goes to the workers through a script.)
    const script = join(folder, 'quota-worker.mjs');
    writeFileSync(
      script,
      `process.env.LOCOLENS_TEST_STORE_QUOTA = '100000';\nawait import(${JSON.stringify(pathToFileURL(join(process.cwd(), 'test', 'store-fault-worker.mjs')).href)});\n`
    );
    faulty = createNodePool(2, script);
    const store = new TensorStore(faulty, root, LOCOLENS_VERSION);
    const result = await analyze(path, store, budget, faulty);
    expect(numbers(result)).toEqual(numbers(reference));
    expect(store.stats.disabled).toMatch(/quota/i);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/tensor store steps aside .*quota/i);
    // Only complete blocks have an index; the rest is gone.
    const { indexed, other } = inspectStore(root);
    expect(indexed.length).toBeLessThan(blockCount(result));
    expect(other).toEqual([]);
    // A healthy tab later: the same numbers, the store filled, then read.
    const healthy = new TensorStore(pool, root, LOCOLENS_VERSION);
    expect(numbers(await analyze(path, healthy, budget))).toEqual(numbers(reference));
    const fromStore = await analyze(path, new TensorStore(pool, root, LOCOLENS_VERSION), budget);
    expect(fromStore.tensorSource).toBe('store');
    expect(numbers(fromStore)).toEqual(numbers(reference));
    expect(warn).toHaveBeenCalledTimes(1);
  });

  /** A pool of one in-process decode service whose store is OPFS (as in a browser's worker). */
  function opfsPool(): DecodePool {
    const service = new DecodeService(
      async () => {
        throw new Error('no files in this test');
      },
      root => new OpfsChunkFiles(root)
    );
    return new WorkerPool<IDecodeService>(
      () => ({ api: service as never, crashed: new Promise<string>(() => undefined), terminate: () => undefined }),
      1
    );
  }

  it.each([
    ['no navigator.storage.getDirectory', undefined, /tensor store is not available here: no OPFS in this browser/],
    [
      'no createSyncAccessHandle',
      { storage: { getDirectory: async () => fakeDirectory() } },
      /tensor store is not available here: no OPFS sync access handles/
    ]
  ])('without OPFS (%s): the store steps aside once, nothing is written', async (_, navigator, reason) => {
    Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true });
    const on = opfsPool();
    try {
      const store = new TensorStore(on, 'locolens-tensors', LOCOLENS_VERSION, undefined, new LocalLocks());
      expect(await store.openBlocks(['b1', 'b2'], ['x'])).toBeNull();
      expect(store.stats.disabled).toMatch(reason);
      const writer = store.writer('b1', 's', 't', ['x'], 1);
      await writer.add(0, { features: ['x'], cycles: 1, data: new Float32Array(PHASES) });
      await writer.commit();
      expect(store.stats.blocksWritten).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(reason);
    } finally {
      on.dispose();
      delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});

/** An OPFS folder whose files have no sync access handles (a browser without them). */
function fakeDirectory(): unknown {
  const directory = {
    kind: 'directory',
    getDirectoryHandle: async () => directory,
    getFileHandle: async () => ({ kind: 'file' }),
    removeEntry: async () => undefined
  };
  return directory;
}
