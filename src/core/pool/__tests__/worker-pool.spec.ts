/**
 * The Node worker pool: parallel work, and a crashed worker is a clear error, not a hang.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createNodePool } from '../node-pool';
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
