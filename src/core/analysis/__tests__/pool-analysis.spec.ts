/**
 * The analysis job on the worker pool under faults: a worker that dies in the middle of a job, a
 * damaged data page, a cancel. Each ends in a clear coded error (never a hang or a partial
 * result), leaves no half-written store entry, and the pool analyses the next file correctly.
 * Also: a file decoded exactly once, the same numbers whatever the number of workers, pinned
 * tasks and broadcasts of the pool.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { analyzeDataset } from '../analyze-dataset';
import { analysisDigest } from '../analysis-digest';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { analysisToJSON, type IAnalysisResult } from '../result';
import { errorCode } from '../../errors';
import { createNodePool } from '../../pool/node-pool';
import { TensorStore } from '../../store/tensor-store';
import { LOCOLENS_VERSION } from '../../version';
import type { DecodePool } from '../../worker/decode-service';
import { fixture } from '../../../../test/fixtures';

const python = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');

let pool: DecodePool;
let folder: string;

beforeAll(() => {
  pool = createNodePool(2);
  folder = mkdtempSync(join(tmpdir(), 'locolens-pool-analysis-'));
});

afterAll(() => {
  pool.dispose();
  rmSync(folder, { recursive: true, force: true });
});

const numbers = (result: IAnalysisResult) => (analysisToJSON(result) as { groups: unknown }).groups;

/** A copy of a fixture whose first data page header of `column` in row group `rowGroup` is overwritten. */
function damagedCopy(name: string, rowGroup: number, column: string): string {
  const path = join(folder, `damaged-${rowGroup}-${name}`);
  copyFileSync(fixture(name), path);
  execFileSync(python, [
    '-c',
    `
import sys, pyarrow.parquet as pq
path, rg, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
md = pq.ParquetFile(path).metadata
schema = md.schema.to_arrow_schema()
col = md.row_group(rg).column(schema.get_field_index(name))
start = col.data_page_offset
with open(path, 'r+b') as f:
    f.seek(start)
    f.write(bytes([0xA5]) * 24)
`,
    path,
    String(rowGroup),
    column
  ]);
  return path;
}

describe('the analysis job on the pool', () => {
  it('decodes a file once: bytes read are the needed column chunks, the same numbers with one or two workers', async () => {
    const spec = { kind: 'file' as const, path: fixture('many_cycles.parquet') };
    const two = await analyzeDataset(pool, spec, {}, { backend: 'wasm' });
    const one = createNodePool(1);
    try {
      const single = await analyzeDataset(one, spec, {}, { backend: 'wasm' });
      expect(numbers(single)).toEqual(numbers(two));
    } finally {
      one.dispose();
    }
    // With the summary known, the job reads each needed column chunk once (and a worker's first
    // look at the file, its footer): less than the file, more than the data it analyses.
    const summary = await inspectDataset(pool, spec);
    const job = await analyzeDataset(pool, spec, {}, { backend: 'wasm', summary });
    const ratio = analysisDigest(job).readRatio;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(1);
    expect(job.io.requests).toBeLessThanOrEqual(summary.file.rowGroupRows.length + 2 * pool.size);
    expect(two.memory).toMatchObject({ mode: 'in-memory', passes: 1 });
  });

  it('a worker that dies in the middle of a job is a worker-crashed error; the pool then analyses correctly', async () => {
    const spec = { kind: 'file' as const, path: fixture('many_cycles.parquet') };
    const clean = await analyzeDataset(pool, spec, {}, { backend: 'wasm' });
    let killed = false;
    const run = analyzeDataset(
      pool,
      spec,
      {},
      {
        backend: 'wasm',
        onProgress: progress => {
          if (!killed && progress.stage === 'decode' && progress.rowGroupsDone >= 1) {
            killed = true;
            // The worker holding the first row group's cycles goes away (as an out-of-memory kill would).
            (pool as unknown as { slots: Array<{ handle: { terminate(): void } }> }).slots[0].handle.terminate();
          }
        }
      }
    );
    await expect(run).rejects.toMatchObject({ code: 'worker-crashed' });
    expect(killed).toBe(true);
    const again = await analyzeDataset(pool, spec, {}, { backend: 'wasm' });
    expect(numbers(again)).toEqual(numbers(clean));
    expect(pool.poolStats.restarts).toBeGreaterThanOrEqual(1);
  });

  it('a damaged data page is a coded error naming the file; nothing is stored; the pool goes on', async () => {
    const path = damagedCopy('many_cycles.parquet', 3, 'knee_flexion_angle_ipsi_rad');
    const store = new TensorStore(pool, join(folder, 'store'), LOCOLENS_VERSION);
    const info = statSync(path);
    const run = analyzeDataset(
      pool,
      { kind: 'file', path },
      {},
      { backend: 'wasm', store: { store, identity: JSON.stringify([path, info.size, info.mtimeMs]) } }
    );
    const error = await run.then(
      () => null,
      caught => caught
    );
    expect(error).not.toBeNull();
    // A decoder trap (it escapes parquet-wasm's futures and ends the worker) reads as any damaged file.
    expect(errorCode(error)).toBe('corrupt-parquet');
    expect(String((error as Error).message)).toMatch(/row group 3\b.*(damaged|cannot be decoded)/);
    // Nothing half-written is left to be read back: no block of the run has an index.
    const root = join(folder, 'store');
    const indexed = existsSync(root) ? readdirSync(root).filter(block => existsSync(join(root, block, 'index.json'))) : [];
    expect(indexed).toEqual([]);
    const good = await analyzeDataset(pool, { kind: 'file', path: fixture('multi_rowgroup.parquet') }, {}, { backend: 'wasm' });
    expect(good.groups.length).toBeGreaterThan(0);
  });

  it('runs pinned tasks on their worker, refuses one whose worker was replaced, and broadcasts to every worker', async () => {
    const spec = { kind: 'file' as const, path: fixture('multi_rowgroup.parquet') };
    const first = await pool.run(api => api.footer(spec));
    const again = await pool.run(api => api.footer(spec), { on: first.worker });
    expect(again.worker).toEqual(first.worker);
    await expect(
      pool.run(api => api.footer(spec), { on: { slot: first.worker.slot, generation: first.worker.generation + 7 } })
    ).rejects.toMatchObject({
      code: 'worker-crashed'
    });
    await expect(pool.run(api => api.footer(spec), { on: { slot: 9, generation: 0 } })).rejects.toMatchObject({ code: 'bad-argument' });
    const warmed = await pool.warm(api => api.warm());
    expect(warmed.map(result => result.worker.slot).sort()).toEqual([0, 1]);
    await pool.broadcast(api => api.jobRelease('nothing'));
  });
});
