/**
 * The dataset summary as a readable text report (the CLI without --json).
 */
import { columnRows, type IDatasetSummary } from '../core/dataset/dataset-summary';
import { formatBytes } from '../core/format';
import { reportCells, type IFileReport } from '../core/analysis/file-report';
import type { IAnalysisResult } from '../core/analysis/result';
import type { IProfile } from '../core/monitor/performance-monitor';

/** Lay out rows as aligned columns. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map(row => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map(row => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
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
  out.push(table(['name', 'type', 'parquet', 'nulls', 'compressed'], columnRows(summary, formatBytes)));
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

/** An analysis as a readable report: per group, cycles, outliers, invalid cycles, ROM and statistics. */
export function formatAnalysis(result: IAnalysisResult): string {
  const out: string[] = [];
  const number = (value: number) => (Number.isFinite(value) ? value.toPrecision(5) : 'NaN');
  out.push(
    `${result.file.name}: ${result.groups.length} groups, backend ${result.backend}${result.adapter ? ` on ${result.adapter}` : ''}, ddof ${result.options.ddof}, NaN ${result.options.nan}`
  );
  for (const warning of result.warnings ?? []) {
    out.push(`  warning: ${warning}`);
  }
  if (result.fallback) {
    out.push(`  note: ${result.fallback}`);
  }
  out.push(
    `  ${result.timings.totalMs} ms (summary ${result.timings.summaryMs}, decode ${result.timings.decodeMs}, kernels ${result.timings.kernelMs}), read ${formatBytes(result.io.bytesRead)}`
  );
  for (const skipped of result.skipped) {
    out.push(`  left out ${skipped.subject} × ${skipped.task}: ${skipped.reason}`);
  }
  for (const group of result.groups) {
    const invalid = Array.from(group.validation.valid).filter(v => v === 0).length;
    out.push('');
    out.push(`${group.task} — ${group.subjects.join(', ')}: ${group.cycles} cycles`);
    out.push(
      `  outliers (RMSE > ${number(group.outliers.cut)}): ${group.outliers.cycles.length ? group.outliers.cycles.join(', ') : 'none'}; invalid cycles: ${invalid}`
    );
    out.push(
      table(
        ['feature', 'mean', 'std', 'min', 'max', 'median', 'ROM'],
        group.features.map((name, f) => [
          name,
          number(group.summary.mean[f]),
          number(group.summary.std[f]),
          number(group.summary.min[f]),
          number(group.summary.max[f]),
          number(group.summary.median[f]),
          number(group.romOverall[f])
        ])
      )
    );
  }
  return out.join('\n');
}

/** A profile as a short table: stages, peaks, CPU time. */
export function formatProfile(profile: IProfile): string {
  const rows: Array<[string, string]> = profile.stages.map(stage => [stage.name, `${stage.ms} ms`]);
  rows.push(['total', `${profile.totalMs} ms`]);
  if (profile.cpu) {
    rows.push(['CPU user / system', `${profile.cpu.userMs} / ${profile.cpu.systemMs} ms`]);
  }
  rows.push(['peak RSS', profile.peak.rssBytes ? formatBytes(profile.peak.rssBytes) : 'n/a']);
  rows.push(['peak JS heap', profile.peak.heapUsedBytes ? formatBytes(profile.peak.heapUsedBytes) : 'n/a']);
  rows.push(['peak external (buffers, wasm)', profile.peak.externalBytes ? formatBytes(profile.peak.externalBytes) : 'n/a']);
  rows.push(['samples', String(profile.samples.length)]);
  return table(['profile', ''], rows);
}

/** The whole-file report as a readable table: one line per subject x task. */
export function formatReport(report: IFileReport): string {
  const header = ['subject', 'task', 'cycles', 'valid %', 'missing', 'outliers', ...report.romFeatures.map(name => `ROM ${name}`), 's'];
  const rows = report.rows.map(row => (row.state === 'failed' ? [row.subject, row.task, 'failed', row.reason ?? ''] : reportCells(row)));
  // A failed row's reason runs on past the columns: it does not widen them.
  const widths = header.map((name, c) =>
    Math.max(name.length, ...rows.filter(row => row.length === header.length || c < 3).map(row => row[c].length))
  );
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c < cells.length - 1 ? cell.padEnd(widths[c] ?? cell.length) : cell)).join('  ');
  const failed = report.rows.filter(row => row.state === 'failed').length;
  return [
    `${report.file}: ${report.rows.length} subject x task rows (${failed} failed), backend ${report.backend}, ddof ${report.options.ddof}, NaN ${report.options.nan}, ${Math.round(report.totalMs)} ms`,
    line(header),
    ...rows.map(line)
  ].join('\n');
}
