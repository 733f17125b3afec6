/**
 * The Node worker pool: parallel work, and a crashed worker is a clear error, not a hang.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createNodePool } from '../node-pool';
import { WorkerPool } from '../worker-pool';
import { errorCode } from '../../errors';
import { fixture, manifest } from '../../../../test/fixtures';

describe('WorkerPool (worker_threads)', () => {
  it('runs tasks on several workers and returns decoded columns as transferred typed arrays', async () => {
    const pool = createNodePool(2);
    try {
      const spec = { kind: 'file' as const, path: fixture('multi_rowgroup.parquet') };
      const groups = manifest()['multi_rowgroup.parquet'].row_groups;
      const batches = await Promise.all(
        Array.from({ length: groups }, (_, group) => pool.run(api => api.readColumns(spec, group, ['knee_flexion_angle_ipsi_rad'])))
      );
      expect(batches.map(batch => batch.value.rowGroup)).toEqual(Array.from({ length: groups }, (_, i) => i));
      const column = batches[0].value.columns.knee_flexion_angle_ipsi_rad;
      expect(column.kind).toBe('float64');
      // Arrays cross the jest VM realm: compare the constructor's name, not identity.
      expect(column.kind !== 'codes' && column.values.constructor.name).toBe('Float64Array');
      expect(pool.poolStats.size).toBe(2);
      expect(pool.poolStats.tasksDone).toBe(groups);
    } finally {
      pool.dispose();
    }
  });

  it('fails the task of a crashed worker with worker-crashed, and replaces the worker', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'locolens-'));
    const script = join(folder, 'crash.mjs');
    writeFileSync(script, 'process.exit(3);\n');
    const pool = createNodePool(1, script);
    try {
      const error = await pool.run(api => api.footer({ kind: 'file', path: fixture('tiny_snappy.parquet') })).catch(e => e);
      expect(errorCode(error)).toBe('worker-crashed');
      expect(error.message).toMatch(/exited with code 3/);
      expect(pool.poolStats.restarts).toBe(1);
    } finally {
      pool.dispose();
    }
  });
});

describe('sharing the workers among analyses', () => {
  it("a task of an owner with nothing running goes before another owner's queued tasks", async () => {
    const started: string[] = [];
    const gates: Array<() => void> = [];
    const api = {
      work: (name: string) =>
        new Promise(resolve => {
          started.push(name);
          gates.push(() => resolve({ ok: true, value: name, io: { bytesRead: 0, requests: 0 } }));
        })
    };
    const pool = new WorkerPool<typeof api>(
      () => ({ api: api as never, crashed: new Promise(() => undefined), terminate: () => undefined }),
      1
    );
    const run = (name: string, owner: string) => pool.run(remote => remote.work(name) as never, { owner });
    const done = [run('large 1', 'large'), run('large 2', 'large'), run('large 3', 'large')];
    await new Promise(resolve => setTimeout(resolve, 0));
    done.push(run('small 1', 'small'));
    // The one worker runs "large 1"; the next is the small analysis' task, not "large 2".
    while (gates.length) {
      gates.shift()!();
      await new Promise(resolve => setTimeout(resolve, 0));
    }
    await Promise.all(done);
    expect(started).toEqual(['large 1', 'small 1', 'large 2', 'large 3']);
    pool.dispose();
  });
});
