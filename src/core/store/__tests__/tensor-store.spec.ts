/**
 * The tensor store in a Node cache folder (through the real worker pool), the analysis that
 * reads it instead of parquet, its staleness and damage rules, and cancellation.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { analyzeDataset, loadGroupTensors, readGroupFeature, type IAnalyzeOptions } from '../../analysis/analyze-dataset';
import { analysisToJSON, type IAnalysisProgress, type IAnalysisResult } from '../../analysis/result';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { LOCOLENS_VERSION } from '../../version';
import { TensorStore } from '../tensor-store';
import { fixture } from '../../../../test/fixtures';

let pool: DecodePool;
let folder: string;

beforeAll(() => {
  pool = createNodePool(2);
});

afterAll(() => pool.dispose());

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'locolens-store-'));
});

afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** Analyse `path` with a store under `folder`, the identity from the file as the CLI takes it. */
async function analyzeWithStore(
  path: string,
  options: IAnalyzeOptions = {},
  store = new TensorStore(pool, join(folder, 'tensors'), LOCOLENS_VERSION)
) {
  const summary = await inspectDataset(pool, { kind: 'file', path });
  const info = statSync(path);
  const identity = JSON.stringify([path, info.size, info.mtimeMs, summary.footerHash]);
  const result = await analyzeDataset(pool, { kind: 'file', path }, {}, { summary, store: { store, identity }, ...options });
  return { result, store };
}

/** The numbers of a result (no timings, io or provenance). */
function numbers(result: IAnalysisResult): unknown {
  const json = analysisToJSON(result) as Record<string, unknown>;
  return json.groups;
}

const storedFolders = () => readdirSync(join(folder, 'tensors')).sort();

describe('the tensor store', () => {
  it('is filled by a first analysis and read, without parquet, by the second: same numbers', async () => {
    const path = fixture('multi_rowgroup.parquet');
    const first = await analyzeWithStore(path);
    expect(first.result.tensorSource).toBe('parquet');
    expect(first.result.io.bytesRead).toBeGreaterThan(0);
    const blocks = storedFolders();
    expect(blocks.length).toBe(first.result.groups.reduce((sum, group) => sum + group.subjects.length, 0));
    for (const block of blocks) {
      expect(readdirSync(join(folder, 'tensors', block))).toContain('index.json');
    }
    const second = await analyzeWithStore(path);
    expect(second.result.tensorSource).toBe('store');
    expect(second.result.io.bytesRead).toBe(0);
    expect(second.store.stats.bytesRead).toBe(first.result.memory.tensorBytes);
    expect(numbers(second.result)).toEqual(numbers(first.result));
  });

  it('serves groups that lie in one row group (finished by one worker) from the store too', async () => {
    const path = fixture('one_cycle.parquet');
    const first = await analyzeWithStore(path, {}, new TensorStore(pool, join(folder, 'one-row-group'), LOCOLENS_VERSION));
    expect(first.result.tensorSource).toBe('parquet');
    const second = await analyzeWithStore(path, {}, first.store);
    expect(second.result.tensorSource).toBe('store');
    expect(second.result.groups.every(group => group !== undefined)).toBe(true);
    expect(second.result.groups.length).toBe(first.result.groups.length);
    expect(numbers(second.result)).toEqual(numbers(first.result));
  });

  it('over a small budget, groups spill to the store: parquet is decoded once, the rerun reads only the store', async () => {
    const path = fixture('many_cycles.parquet');
    const inMemory = (await analyzeWithStore(path)).result;
    const spilledStore = new TensorStore(pool, join(folder, 'spilled'), LOCOLENS_VERSION);
    const first = await analyzeWithStore(path, { memoryBudget: 60_000 }, spilledStore);
    expect(first.result.tensorSource).toBe('parquet');
    expect(first.result.memory).toMatchObject({ mode: 'streamed', passes: 1 });
    // Decoded once: the finish rounds read the spilled chunks from the store.
    expect(first.result.io.bytesRead).toBeLessThanOrEqual(inMemory.io.bytesRead);
    const second = await analyzeWithStore(path, { memoryBudget: 60_000 }, spilledStore);
    expect(second.result.tensorSource).toBe('store');
    expect(second.result.io.bytesRead).toBe(0);
    expect(second.store.stats.bytesRead).toBe(inMemory.memory.tensorBytes);
    for (const run of [first.result, second.result]) {
      const a = numbers(inMemory) as Array<Record<string, unknown>>;
      const b = numbers(run) as Array<Record<string, unknown>>;
      expect(b.map(group => group.outliers)).toEqual(a.map(group => group.outliers));
      expect(b.map(group => group.validation)).toEqual(a.map(group => group.validation));
    }
  });

  it('gives one feature of a streamed group, reading only that feature from the store', async () => {
    const path = fixture('many_cycles.parquet');
    const inMemory = (await analyzeWithStore(path)).result;
    const streamedStore = new TensorStore(pool, join(folder, 'streamed'), LOCOLENS_VERSION);
    const { result } = await analyzeWithStore(path, { memoryBudget: 60_000 }, streamedStore);
    expect(result.memory.mode).toBe('streamed');
    expect(result.groups[0].tensor).toBeUndefined();
    const summary = await inspectDataset(pool, { kind: 'file', path });
    const info = statSync(path);
    const store = { store: streamedStore, identity: JSON.stringify([path, info.size, info.mtimeMs, summary.footerHash]) };
    const F = result.selection.features!.length;
    const C = result.groups[0].cycles;
    const before = streamedStore.stats.bytesRead;
    const samples = await readGroupFeature(result, summary, store, 0, 2);
    expect(streamedStore.stats.bytesRead - before).toBe(C * 150 * 4);
    // The same cycles as the in-memory run stored, read back whole.
    const inMemoryStore = { store: new TensorStore(pool, join(folder, 'tensors'), LOCOLENS_VERSION), identity: store.identity };
    expect(await loadGroupTensors(inMemory, summary, inMemoryStore)).toBe(true);
    expect(samples).toEqual(inMemory.groups[0].tensor!.data.subarray(2 * C * 150, 3 * C * 150));
    expect(F).toBeGreaterThan(2);
    // Not in the store (another folder): null, never a wrong array.
    const empty = { store: new TensorStore(pool, join(folder, 'empty'), LOCOLENS_VERSION), identity: store.identity };
    expect(await readGroupFeature(result, summary, empty, 0, 2)).toBeNull();
  });

  it('never serves a changed file: overwrite it, rerun, get the new numbers', async () => {
    const path = join(folder, 'dataset.parquet');
    copyFileSync(fixture('multi_rowgroup.parquet'), path);
    const before = await analyzeWithStore(path);
    copyFileSync(fixture('with_nans.parquet'), path);
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const after = await analyzeWithStore(path);
    expect(after.result.tensorSource).toBe('parquet');
    const fresh = await analyzeDataset(pool, { kind: 'file', path });
    expect(numbers(after.result)).toEqual(numbers(fresh));
    expect(numbers(after.result)).not.toEqual(numbers(before.result));
  });

  it('a damaged chunk is dropped with a warning and the numbers come from parquet', async () => {
    const path = fixture('multi_rowgroup.parquet');
    const first = await analyzeWithStore(path);
    const block = join(folder, 'tensors', storedFolders()[0]);
    const chunk = readdirSync(block).find(name => name.endsWith('.f32'))!;
    truncateSync(join(block, chunk), 100);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const second = await analyzeWithStore(path);
      expect(second.result.tensorSource).toBe('parquet');
      expect(numbers(second.result)).toEqual(numbers(first.result));
      expect(warn.mock.calls.map(call => String(call[0])).join('\n')).toMatch(/stored tensor could not be read/);
    } finally {
      warn.mockRestore();
    }
    // Refilled: the third run reads the store again.
    expect((await analyzeWithStore(path)).result.tensorSource).toBe('store');
  });

  it('a corrupted index is removed and recomputed', async () => {
    const path = fixture('multi_rowgroup.parquet');
    await analyzeWithStore(path);
    const index = join(folder, 'tensors', storedFolders()[0], 'index.json');
    truncateSync(index, 10);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect((await analyzeWithStore(path)).result.tensorSource).toBe('parquet');
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/is corrupted/);
    } finally {
      warn.mockRestore();
    }
  });

  it('evicts the least recently written blocks beyond its cap, never the ones just written', async () => {
    const store = new TensorStore(pool, join(folder, 'tensors'), LOCOLENS_VERSION, 1);
    await analyzeWithStore(fixture('multi_rowgroup.parquet'), {}, store);
    const firstBlocks = storedFolders();
    await analyzeWithStore(fixture('many_cycles.parquet'), {}, store);
    const after = storedFolders();
    expect(after.some(name => firstBlocks.includes(name))).toBe(false);
    expect(after.length).toBeGreaterThan(0);
    expect((await store.size()).blocks).toBe(after.length);
    await store.clear();
    expect(storedFolders()).toEqual([]);
  });
});

describe('eviction by last use', () => {
  it('a block read again counts as recent: over the cap, the least recently used go first, down to 80 % of it', async () => {
    const store = new TensorStore(pool, join(folder, 'tensors-lru'), LOCOLENS_VERSION);
    const names = () => (existsSync(join(folder, 'tensors-lru')) ? readdirSync(join(folder, 'tensors-lru')) : []);
    await analyzeWithStore(fixture('multi_rowgroup.parquet'), {}, store);
    const first = names();
    await new Promise(resolve => setTimeout(resolve, 50));
    await analyzeWithStore(fixture('many_cycles.parquet'), {}, store);
    const second = names().filter(name => !first.includes(name));
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    await new Promise(resolve => setTimeout(resolve, 50));
    // The first file's blocks are read again (from the store): now the most recently used.
    expect((await analyzeWithStore(fixture('multi_rowgroup.parquet'), {}, store)).result.tensorSource).toBe('store');
    await new Promise(resolve => setTimeout(resolve, 200));
    const { bytes } = await store.size();
    store.maxBytes = bytes - 1;
    const removed = await store.evict();
    expect(removed).toBe(second.length);
    expect(names().sort()).toEqual([...first].sort());
    expect((await store.size()).bytes).toBeLessThanOrEqual(0.8 * (bytes - 1));
    await store.clear();
  });
});

describe('cancelling an analysis', () => {
  // Spilled groups write their chunks before going on; cached copies are written while the kernels
  // go on, and must not land after the cancel removed their folders.
  it.each([60_000, undefined])(
    'stops with a cancelled error, leaves no half-written store entry and no stuck worker (budget %s)',
    async budget => {
      const path = fixture('many_cycles.parquet');
      const controller = new AbortController();
      const seen: IAnalysisProgress[] = [];
      const run = analyzeWithStore(path, {
        memoryBudget: budget,
        signal: controller.signal,
        onProgress: progress => {
          seen.push(progress);
          if (progress.rowGroupsDone === 2) {
            controller.abort();
          }
        }
      });
      await expect(run).rejects.toMatchObject({ code: 'cancelled', message: 'the analysis was cancelled' });
      expect(seen.some(progress => progress.stage === 'decode' && progress.bytesRead > 0)).toBe(true);
      expect(seen.every(progress => progress.cyclesDone <= progress.cycles)).toBe(true);
      const leftovers = existsSync(join(folder, 'tensors')) ? readdirSync(join(folder, 'tensors'), { recursive: true }).map(String) : [];
      expect(leftovers.filter(name => name.endsWith('index.json'))).toEqual([]);
      expect(leftovers.filter(name => name.endsWith('.f32'))).toEqual([]);
      // The pool is free: the same analysis runs to the end.
      const { result } = await analyzeWithStore(path, { memoryBudget: budget });
      expect(result.groups.length).toBeGreaterThan(0);
      expect(pool.poolStats.busy).toBe(0);
    }
  );

  it('reports progress up to every cycle', async () => {
    const seen: IAnalysisProgress[] = [];
    await analyzeDataset(
      pool,
      { kind: 'file', path: fixture('multi_rowgroup.parquet') },
      {},
      { onProgress: progress => seen.push(progress) }
    );
    const last = seen.filter(progress => progress.stage === 'decode').pop()!;
    expect(last.cyclesDone).toBe(last.cycles);
    expect(last.rowGroupsDone).toBe(last.rowGroups);
    expect(last.rowGroups).toBeGreaterThan(1);
  });
});
