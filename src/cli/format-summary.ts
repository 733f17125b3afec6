/**
 * The dataset summary as a readable text report (the CLI without --json).
 */
import type { IDatasetSummary } from '../core/dataset/dataset-summary';
import { formatBytes } from '../core/format';

/** Lay out rows as aligned columns. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map(row => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map(row => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(cells[0]), widths.map(width => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** The whole report. */
export function formatSummary(summary: IDatasetSummary): string {
  const out: string[] = [];
  const f = summary.file;
  out.push(`${f.name}`);
  out.push(
    `  ${f.rows.toLocaleString('en-US')} rows in ${f.rowGroups} row groups, ${formatBytes(f.sizeBytes)}, ` +
      `compression ${f.compression.join(', ') || 'none'}${f.createdBy ? `, written by ${f.createdBy}` : ''}`
  );
  out.push(`  conformance: ${summary.status}`);
  out.push(
    `  read ${formatBytes(summary.io.bytesRead)} (${((100 * summary.io.bytesRead) / Math.max(1, f.sizeBytes)).toFixed(1)} % of the file) in ${summary.io.requests} requests, ${summary.io.millis} ms`
  );
  out.push('');
  out.push(`Subjects (${summary.subjects.length}): ${summary.subjects.join(', ')}`);
  out.push('');
  out.push(`Tasks (${summary.tasks.length})`);
  out.push(
    table(
      ['task', 'task_id values', 'subjects', 'cycles'],
      summary.tasks.map(task => [task.task, task.taskIds.join(', ') || '-', task.subjects.length, task.cycles])
    )
  );
  out.push('');
  out.push(`Cycles per subject × task (rows / 150), ${summary.totalCycles} in all`);
  out.push(
    table(
      ['subject', 'task', 'rows', 'cycles', 'remainder'],
      summary.blocks.map(block => [block.subject, block.task, block.rows, block.cycles, block.remainderRows || ''])
    )
  );
  out.push('');
  out.push(`Variables (${summary.variables.length})`);
  out.push(
    table(
      ['name', 'type', 'joint', 'measurement', 'side', 'unit', 'missing', 'standard'],
      summary.variables.map(variable => [
        variable.name,
        variable.type,
        variable.parts?.body ?? '',
        variable.parts?.measurement ?? '',
        variable.parts?.side ?? '',
        variable.parts?.unit ?? '',
        variable.nanCount ?? variable.nullCount ?? '?',
        variable.standard ? 'yes' : variable.suggestion ? `no → ${variable.suggestion}` : 'no'
      ])
    )
  );
  out.push('');
  out.push(`Columns (${summary.columns.length})`);
  out.push(
    table(
      ['name', 'type', 'parquet', 'nulls', 'compressed'],
      summary.columns.map(column => [
        column.name,
        column.type,
        column.physicalType + (column.dictionaryEncoded ? ' (dict)' : ''),
        column.nullCount ?? '?',
        formatBytes(column.compressedBytes)
      ])
    )
  );
  out.push('');
  out.push(`Conformance findings (${summary.findings.length})`);
  if (summary.findings.length === 0) {
    out.push('  none: the file follows the standard');
  }
  for (const finding of summary.findings) {
    out.push(`  [${finding.severity}] ${finding.message}`);
  }
  return out.join('\n');
}
