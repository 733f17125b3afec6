/**
 * Export of an analysis next to its dataset: the per-cycle features (one row per cycle) and the
 * mean/SD patterns (one row per feature and phase), as parquet or CSV through the Contents API.
 */
import type { IGroupAnalysis } from '../core/analysis/result';
import { reportColumns, type IFileReport } from '../core/analysis/file-report';
import type { IPopulationStatistics } from '../core/analysis/population';
import { describeError } from '../core/errors';
import { h } from './dom';
import {
  patternColumns,
  perCycleColumns,
  populationPatternColumns,
  populationSummaryColumns,
  type TableColumns
} from '../core/analysis/result-tables';
import type { IAnalysisRequest } from './tokens';

/** Where exported tables and figures go. */
export interface IExportTarget {
  /** Write a table to `path` (server root relative) in the format. */
  writeTable(path: string, columns: TableColumns, format: 'parquet' | 'csv'): Promise<void>;
  /** Write a file to `path` (server root relative): text, or bytes. */
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
}

/** What an export wrote: the (first) path, the pandas lines that read its table(s), and every path written. */
export interface IExportWritten {
  path: string;
  snippet: string;
  paths?: string[];
}

/**
 * Write both tables next to the dataset; returns the features file path and the pandas lines.
 */
export async function exportPerCycleTable(
  group: IGroupAnalysis,
  request: IAnalysisRequest,
  format: 'parquet' | 'csv',
  target: IExportTarget
): Promise<{ path: string; snippet: string }> {
  const base = exportBase(request.path, [group.task, request.subject]);
  return writeTables(
    target,
    format,
    [`${base}.cycle-features.${format}`, 'features', perCycleColumns(group)],
    [`${base}.patterns.${format}`, 'patterns', patternColumns(group)]
  );
}

/** Write the whole-file report next to the dataset (`<file>.report.<format>`). */
export function exportReportTable(
  report: IFileReport,
  path: string,
  format: 'parquet' | 'csv',
  target: IExportTarget
): Promise<{ path: string; snippet: string }> {
  return writeTables(target, format, [`${exportBase(path, ['report'])}.${format}`, 'report', reportColumns(report)]);
}

/** Run an export, showing in `footer` that it is writing, then where it saved and the pandas lines, or why it failed. */
export async function showExport(footer: HTMLElement, format: string, write: () => Promise<IExportWritten>): Promise<void> {
  footer.replaceChildren(h('p', { class: 'locolens-message', role: 'status' }, `Writing ${format}…`));
  try {
    const written = await write();
    const paths = written.paths ?? [written.path];
    footer.replaceChildren(
      h(
        'p',
        { 'data-locolens': 'export-done' },
        'Saved ',
        ...paths.flatMap((path, i) => [i ? ' and ' : '', h('code', { 'data-locolens': 'export-path' }, path)]),
        paths.length > 1 ? '. Read the numbers behind it in Python with:' : '. Read it in Python with:'
      ),
      h('pre', { class: 'locolens-code', 'data-locolens': 'export-snippet' }, written.snippet)
    );
  } catch (error) {
    footer.replaceChildren(h('p', { class: 'locolens-message-error', role: 'alert' }, `Export failed: ${describeError(error)}`));
  }
}

/** The path stem of tables exported next to a dataset: `<folder>/<file stem>.<label parts>`. */
function exportBase(path: string, parts: Array<string | undefined>): string {
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const stem = path.slice(folder.length).replace(/\.parquet$/i, '');
  const label = parts
    .filter(Boolean)
    .join('.')
    .replace(/[^\w.-]+/g, '_');
  return `${folder}${stem}.${label}`;
}

/** Write tables (path, pandas variable name, columns); returns the first path and the pandas lines. */
async function writeTables(
  target: IExportTarget,
  format: 'parquet' | 'csv',
  ...tables: Array<[string, string, TableColumns]>
): Promise<{ path: string; snippet: string }> {
  for (const [path, , columns] of tables) {
    await target.writeTable(path, columns, format);
  }
  const read = format === 'parquet' ? 'read_parquet' : 'read_csv';
  return {
    path: tables[0][0],
    snippet: ['import pandas as pd', ...tables.map(([path, name]) => `${name} = pd.${read}(${JSON.stringify(path)})`)].join('\n')
  };
}

/** Write a task's population statistics (per feature) and patterns (per phase) next to the dataset. */
export async function exportPopulationTables(
  population: IPopulationStatistics,
  request: IAnalysisRequest,
  format: 'parquet' | 'csv',
  target: IExportTarget
): Promise<{ path: string; snippet: string }> {
  const base = exportBase(request.path, [population.task]);
  return writeTables(
    target,
    format,
    [`${base}.population.${format}`, 'population', populationSummaryColumns(population)],
    [`${base}.population-patterns.${format}`, 'patterns', populationPatternColumns(population)]
  );
}

/**
 * Write a figure (`<file stem>.<parts>.<format>`) and the numbers behind it (the same name, `.csv`)
 * next to the dataset.
 */
export async function exportFigureFiles(
  target: IExportTarget,
  datasetPath: string,
  parts: Array<string | undefined>,
  format: string,
  content: string | Uint8Array,
  table: TableColumns
): Promise<IExportWritten> {
  const base = exportBase(datasetPath, parts);
  await target.writeFile(`${base}.${format}`, content);
  const written = await writeTables(target, 'csv', [`${base}.csv`, 'figure_data', table]);
  return { path: `${base}.${format}`, snippet: written.snippet, paths: [`${base}.${format}`, written.path] };
}

/** A table as CSV text (RFC 4180 quoting; NaN as an empty field). */
export function toCsv(columns: TableColumns): string {
  const names = Object.keys(columns);
  const rows = names.length ? columns[names[0]].length : 0;
  const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = [names.map(quote).join(',')];
  for (let r = 0; r < rows; r++) {
    lines.push(
      names
        .map(name => {
          const value = columns[name][r];
          return typeof value === 'string'
            ? quote(value)
            : typeof value === 'boolean'
              ? String(value)
              : Number.isFinite(value)
                ? String(value)
                : '';
        })
        .join(',')
    );
  }
  return `${lines.join('\n')}\n`;
}
