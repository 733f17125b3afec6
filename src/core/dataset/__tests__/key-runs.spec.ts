import type { IColumnBatch } from '../../parquet/column-data';
import { buildDatasetSummary, findKeyColumns } from '../dataset-summary';
import { keyRunsOfBatch, mergeKeyRuns, type IKeyColumns } from '../key-runs';
import type { IParquetFileInfo } from '../../parquet/footer';

const keys: IKeyColumns = { subject: 'subject', task: 'task', taskId: null, phase: 'phase_ipsi' };

/** Rows as (subject, task, phase index) → one batch starting at `firstRow`. */
function batch(rowGroup: number, firstRow: number, rows: Array<[string, string, number]>): IColumnBatch {
  const dict = (values: string[]) => {
    const dictionary = [...new Set(values)];
    return { kind: 'codes' as const, codes: Int32Array.from(values.map(v => dictionary.indexOf(v))), dictionary, nullCount: 0 };
  };
  return {
    rowGroup,
    firstRow,
    numRows: rows.length,
    columns: {
      subject: dict(rows.map(r => r[0])),
      task: dict(rows.map(r => r[1])),
      phase_ipsi: { kind: 'float64', values: Float64Array.from(rows.map(r => (r[2] * 100) / 150)), nullCount: 0 }
    }
  };
}

function cycles(subject: string, task: string, n: number, cut = 150): Array<[string, string, number]> {
  const rows: Array<[string, string, number]> = [];
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < cut; i++) {
      rows.push([subject, task, i]);
    }
  }
  return rows;
}

function summarize(merged: ReturnType<typeof mergeKeyRuns>, numRows: number) {
  const column = (name: string, type: 'string' | 'float64') => ({
    name,
    physicalType: type === 'string' ? 'BYTE_ARRAY' : 'DOUBLE',
    type,
    nullable: true,
    compressedBytes: 0,
    uncompressedBytes: 0,
    codecs: [],
    dictionaryEncoded: false
  });
  const info: IParquetFileInfo = {
    name: 'x.parquet',
    sizeBytes: 1,
    numRows,
    columns: [column('subject', 'string'), column('task', 'string'), column('phase_ipsi', 'float64')],
    rowGroups: [],
    compression: [],
    keyValue: {},
    footerBytes: 0,
    footerHash: ''
  };
  return buildDatasetSummary(info, findKeyColumns(info.columns), merged, { bytesRead: 0, requests: 0, millis: 0 });
}

describe('key runs across row groups', () => {
  const rows = [...cycles('S1', 'walk', 3), ...cycles('S1', 'run', 2), ...cycles('S2', 'walk', 1)];

  it.each([[1], [97], [150], [200], [449], [1000]])('merges exactly with row groups of %i rows', size => {
    const partials = [];
    for (let start = 0, group = 0; start < rows.length; start += size, group++) {
      partials.push(keyRunsOfBatch(batch(group, start, rows.slice(start, start + size)), keys));
    }
    const merged = mergeKeyRuns(partials.reverse(), true);
    expect(merged.runs.map(run => [run.subject, run.task, run.firstRow, run.rows])).toEqual([
      ['S1', 'walk', 0, 450],
      ['S1', 'run', 450, 300],
      ['S2', 'walk', 750, 150]
    ]);
    expect(merged.runs.map(run => run.phaseStarts)).toEqual([[0, 150, 300], [0, 150], [0]]);
    expect(merged.phaseMin).toBe(0);
    expect(merged.phaseMax).toBeCloseTo((149 * 100) / 150, 12);
  });

  it('reports a block that is not a multiple of 150 and misaligned cycles', () => {
    const bad = [...cycles('S1', 'walk', 2), ...cycles('S1', 'walk', 1, 149), ...cycles('S2', 'walk', 2)];
    const merged = mergeKeyRuns(
      [keyRunsOfBatch(batch(0, 0, bad.slice(0, 200)), keys), keyRunsOfBatch(batch(1, 200, bad.slice(200)), keys)],
      true
    );
    const summary = summarize(merged, bad.length);
    const s1 = summary.blocks.find(block => block.subject === 'S1')!;
    expect([s1.rows, s1.cycles, s1.remainderRows, s1.misalignedCycles]).toEqual([449, 2, 149, 0]);
    expect(summary.findings.filter(f => f.code === 'cycle-remainder').map(f => [f.subject, f.task])).toEqual([['S1', 'walk']]);
    expect(summary.status).toBe('does-not-conform');
    const s2 = summary.blocks.find(block => block.subject === 'S2')!;
    expect([s2.rows, s2.cycles, s2.remainderRows]).toEqual([300, 2, 0]);
  });

  it('counts 150-row blocks that do not start where the phase restarts', () => {
    // 151 + 149 rows: two blocks of 150 by position, but the phase restarts at row 151.
    const shifted = [...cycles('S1', 'walk', 1, 151), ...cycles('S1', 'walk', 1, 149)];
    const merged = mergeKeyRuns([keyRunsOfBatch(batch(0, 0, shifted), keys)], true);
    expect(merged.runs[0].phaseStarts).toEqual([0, 151]);
    const block = summarize(merged, shifted.length).blocks[0];
    expect([block.rows, block.cycles, block.misalignedCycles]).toEqual([300, 2, 1]);
    expect(summarize(merged, shifted.length).findings.map(f => f.code)).toContain('phase-misaligned');
  });
});
