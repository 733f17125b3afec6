/**
 * Export of an analysis next to its dataset: the per-cycle features (one row per cycle) and the
 * mean/SD patterns (one row per feature and phase), as parquet or CSV through the Contents API.
 */
import type { IGroupAnalysis } from '../core/analysis/result';
import type { IPopulationStatistics } from '../core/analysis/population';
import {
  patternColumns,
  perCycleColumns,
  populationPatternColumns,
  populationSummaryColumns,
  type TableColumns
} from '../core/analysis/result-tables';
import type { IAnalysisRequest } from './tokens';

/** Where exported tables go. */
export interface IExportTarget {
  /** Write a table to `path` (server root relative) in the format. */
  writeTable(path: string, columns: TableColumns, format: 'parquet' | 'csv'): Promise<void>;
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
  const folder = request.path.includes('/') ? request.path.slice(0, request.path.lastIndexOf('/') + 1) : '';
  const stem = request.path.slice(folder.length).replace(/\.parquet$/i, '');
  const label = [group.task, request.subject]
    .filter(Boolean)
    .join('.')
    .replace(/[^\w.-]+/g, '_');
  const base = `${folder}${stem}.${label}`;
  const features = `${base}.cycle-features.${format}`;
  const patterns = `${base}.patterns.${format}`;
  await target.writeTable(features, perCycleColumns(group), format);
  await target.writeTable(patterns, patternColumns(group), format);
  const read = format === 'parquet' ? 'read_parquet' : 'read_csv';
  return {
    path: features,
    snippet: `import pandas as pd\nfeatures = pd.${read}(${JSON.stringify(features)})\npatterns = pd.${read}(${JSON.stringify(patterns)})`
  };
}

/** Write a task's population statistics (per feature) and patterns (per phase) next to the dataset. */
export async function exportPopulationTables(
  population: IPopulationStatistics,
  request: IAnalysisRequest,
  format: 'parquet' | 'csv',
  target: IExportTarget
): Promise<{ path: string; snippet: string }> {
  const folder = request.path.includes('/') ? request.path.slice(0, request.path.lastIndexOf('/') + 1) : '';
  const stem = request.path.slice(folder.length).replace(/\.parquet$/i, '');
  const base = `${folder}${stem}.${population.task.replace(/[^\w.-]+/g, '_')}`;
  const summary = `${base}.population.${format}`;
  const patterns = `${base}.population-patterns.${format}`;
  await target.writeTable(summary, populationSummaryColumns(population), format);
  await target.writeTable(patterns, populationPatternColumns(population), format);
  const read = format === 'parquet' ? 'read_parquet' : 'read_csv';
  return {
    path: summary,
    snippet: `import pandas as pd\npopulation = pd.${read}(${JSON.stringify(summary)})\npatterns = pd.${read}(${JSON.stringify(patterns)})`
  };
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
