/**
 * The dataset summary of pyarrow-written fixtures, through the real Node worker pool, checked
 * against what pyarrow reads from the same files (manifest.json).
 */
import { inspectDataset } from '../inspect-dataset';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { errorCode } from '../../errors';
import { GOOD_FIXTURES, fixture, manifest, type IManifestEntry } from '../../../../test/fixtures';

let pool: DecodePool;
let files: Record<string, IManifestEntry>;

beforeAll(() => {
  pool = createNodePool(2);
  files = manifest();
});

afterAll(() => pool.dispose());

const TYPE_OF_ARROW: Record<string, string> = {
  string: 'string',
  large_string: 'string',
  double: 'float64',
  float: 'float32',
  int32: 'int32',
  int64: 'int64',
  'dictionary<values=string, indices=int32, ordered=0>': 'string'
};

describe('inspectDataset on the fixtures', () => {
  it.each(GOOD_FIXTURES)('%s: file facts, subjects, tasks, cycles and nulls match pyarrow', async name => {
    const expected = files[name];
    const summary = await inspectDataset(pool, { kind: 'file', path: fixture(name) });
    expect(summary.file.rows).toBe(expected.rows);
    expect(summary.file.rowGroups).toBe(expected.row_groups);
    expect(summary.file.rowGroupRows).toEqual(expected.row_group_rows);
    expect(summary.file.compression).toEqual(expected.compression);
    expect(summary.file.sizeBytes).toBe(expected.size_bytes);
    expect(summary.columns.map(column => column.name)).toEqual(expected.columns);
    expect(Object.fromEntries(summary.columns.map(column => [column.name, column.type]))).toEqual(
      Object.fromEntries(Object.entries(expected.dtypes).map(([column, type]) => [column, TYPE_OF_ARROW[type] ?? type]))
    );
    expect(summary.subjects).toEqual(expected.subjects);
    expect(summary.tasks.map(task => task.task)).toEqual([...expected.tasks].sort());
    for (const task of summary.tasks) {
      expect(task.taskIds).toEqual(expected.task_ids[task.task]);
    }
    expect(summary.blocks.map(block => [block.subject, block.task, block.rows, block.cycles, block.spans[0][0]])).toEqual(
      expected.blocks.map(block => [block.subject, block.task, block.rows, block.cycles, block.row_start])
    );
    expect(summary.totalCycles).toBe(expected.blocks.reduce((sum, block) => sum + block.cycles, 0));
    expect(summary.variables.map(variable => variable.name)).toEqual(expected.variables);
    for (const variable of summary.variables) {
      expect([variable.name, variable.nullCount]).toEqual([variable.name, expected.null_counts[variable.name] ?? 0]);
      expect(variable.standard).toBe(true);
    }
    expect(summary.keyColumns).toEqual({ subject: 'subject', task: 'task', taskId: 'task_id', phase: 'phase_ipsi' });
    expect(summary.phase?.grid).toBe('i/150');
    expect(summary.blocks.every(block => block.misalignedCycles === 0)).toBe(true);
    expect(summary.findings.filter(finding => finding.severity !== 'info')).toEqual([]);
    expect(summary.status).toBe('conforms');
  });

  it('counts NaN values and nulls when asked to scan the values', async () => {
    const expected = files['with_nans.parquet'];
    const summary = await inspectDataset(pool, { kind: 'file', path: fixture('with_nans.parquet') }, { scanValues: true });
    const missing = Object.fromEntries(summary.variables.map(variable => [variable.name, variable.nanCount]));
    const truth = Object.fromEntries(
      expected.variables.map(name => [name, (expected.null_counts[name] ?? 0) + (expected.nan_counts[name] ?? 0)])
    );
    expect(missing).toEqual(truth);
    expect(Object.values(expected.nan_counts).some(count => count > 0)).toBe(true);
    expect(Object.values(expected.null_counts).some(count => count > 0)).toBe(true);
    const findings = summary.findings.filter(finding => finding.code === 'missing-values').map(finding => finding.column);
    expect(findings.sort()).toEqual(
      Object.keys(truth)
        .filter(name => truth[name] > 0)
        .sort()
    );
  });

  it('reads a small fraction of a multi-row-group file for a summary', async () => {
    const expected = files['multi_rowgroup.parquet'];
    const summary = await inspectDataset(pool, { kind: 'file', path: fixture('multi_rowgroup.parquet') });
    expect(expected.row_groups).toBeGreaterThan(10);
    expect(summary.io.bytesRead).toBeGreaterThan(0);
    expect(summary.io.bytesRead / expected.size_bytes).toBeLessThan(0.15);
  });
});

describe('inspectDataset on bad input', () => {
  it.each([
    ['empty.parquet', 'empty-file', /empty/],
    ['random_bytes.parquet', 'not-parquet', /not a parquet file/],
    ['truncated.parquet', 'corrupt-parquet', /truncated or damaged/],
    ['does-not-exist.parquet', 'file-not-found', /no such file/]
  ])('%s fails with %s and a clear message', async (name, code, message) => {
    const error = await inspectDataset(pool, { kind: 'file', path: fixture(name) }).catch(e => e);
    expect(errorCode(error)).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\n/);
  });

  it('reports a file without subject, task and phase as not conforming, with its columns', async () => {
    const summary = await inspectDataset(pool, { kind: 'file', path: fixture('no_required_columns.parquet') });
    expect(summary.status).toBe('does-not-conform');
    expect(
      summary.findings
        .filter(f => f.severity === 'error')
        .map(f => f.code)
        .sort()
    ).toEqual(['missing-phase', 'missing-subject', 'missing-task']);
    expect(summary.columns.map(c => c.name)).toEqual(files['no_required_columns.parquet'].columns);
    expect(summary.blocks).toEqual([]);
  });

  it('suggests standard names for legacy columns', async () => {
    const summary = await inspectDataset(pool, { kind: 'file', path: fixture('legacy_names.parquet') });
    const suggestions = Object.fromEntries(summary.findings.filter(f => f.suggestion).map(f => [f.column, f.suggestion]));
    expect(suggestions).toMatchObject({
      phase_percent: 'phase_ipsi',
      step_number: 'step',
      hip_angle_s_r: 'hip_flexion_angle_ipsi_rad',
      knee_flexion_angle_right_deg: 'knee_flexion_angle_ipsi_rad',
      ankle_flexion_angle_ipsi_rad: 'ankle_dorsiflexion_angle_ipsi_rad',
      vertical_grf_ipsi_BW: 'grf_vertical_ipsi_BW'
    });
    expect(summary.keyColumns.phase).toBe('phase_percent');
    expect(summary.totalCycles).toBe(files['legacy_names.parquet'].blocks.reduce((sum, block) => sum + block.cycles, 0));
    expect(summary.status).toBe('conforms-with-warnings');
  });

  it('reports the subject×task whose rows are not a multiple of 150', async () => {
    const expected = files['bad_cycle_count.parquet'];
    const summary = await inspectDataset(pool, { kind: 'file', path: fixture('bad_cycle_count.parquet') });
    const bad = expected.blocks.filter(block => block.rows % 150 !== 0);
    expect(bad.length).toBe(1);
    const findings = summary.findings.filter(f => f.code === 'cycle-remainder');
    expect(findings.map(f => [f.subject, f.task])).toEqual(bad.map(block => [block.subject, block.task]));
    const block = summary.blocks.find(b => b.subject === bad[0].subject && b.task === bad[0].task)!;
    expect([block.rows, block.cycles, block.remainderRows]).toEqual([bad[0].rows, Math.floor(bad[0].rows / 150), bad[0].rows % 150]);
    expect(summary.status).toBe('does-not-conform');
  });
});
