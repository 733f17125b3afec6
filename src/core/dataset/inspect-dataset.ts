/**
 * The dataset summary of a file, computed by the worker pool from the footer and the key
 * columns only (subject, task, task_id, phase), never the whole file.
 */
import { pinnedSpec, type SourceSpec } from '../io/byte-source';
import type { IParquetFileInfo } from '../parquet/footer';
import type { DecodePool } from '../worker/decode-service';
import { buildDatasetSummary, findKeyColumns, withNanCounts, type IDatasetSummary } from './dataset-summary';
import { mergeKeyRuns, type IKeyRunsPartial } from './key-runs';

/** Options of `inspectDataset`. */
export interface IInspectOptions {
  /**
   * Also decode every variable column to count NaN values (reads most of the file). Without it,
   * missing values come from the footer's null counts.
   */
  scanValues?: boolean;
  /** The footer when the caller already read it (and the I/O that took), so it is not read again. */
  footer?: { value: IParquetFileInfo; io: { bytesRead: number; requests: number } };
}

/**
 * Summarize a dataset: footer, key runs per row group on all workers, merged in file order.
 */
export async function inspectDataset(pool: DecodePool, spec: SourceSpec, options: IInspectOptions = {}): Promise<IDatasetSummary> {
  const started = now();
  const io = { bytesRead: 0, requests: 0 };
  const count = (part: { bytesRead: number; requests: number }) => {
    io.bytesRead += part.bytesRead;
    io.requests += part.requests;
  };
  const footer = options.footer ?? (await pool.run(api => api.footer(spec)));
  count(footer.io);
  const info: IParquetFileInfo = footer.value;
  // The rest reads the version of the file whose footer this is (an overwrite is file-changed).
  spec = pinnedSpec(spec, info.version);
  const keys = findKeyColumns(info.columns);
  let merged;
  if (keys.keys.subject && keys.keys.task) {
    const parts = await Promise.all(
      splitRowGroups(info, pool.size).map(rowGroups => pool.run(api => api.keyRuns(spec, rowGroups, keys.keys)))
    );
    const partials: IKeyRunsPartial[] = [];
    for (const part of parts) {
      count(part.io);
      partials.push(...part.value);
    }
    merged = mergeKeyRuns(partials, !!keys.keys.phase);
  }
  let summary = buildDatasetSummary(info, keys, merged, { ...io, millis: 0 });
  if (options.scanValues && summary.variables.length > 0) {
    const columns = summary.variables.map(variable => variable.name);
    const parts = await Promise.all(
      splitRowGroups(info, pool.size).map(rowGroups => pool.run(api => api.countMissing(spec, rowGroups, columns)))
    );
    const totals: Record<string, number> = Object.fromEntries(columns.map(name => [name, 0]));
    for (const part of parts) {
      count(part.io);
      for (const [name, value] of Object.entries(part.value)) {
        totals[name] += value;
      }
    }
    summary = withNanCounts(summary, totals);
  }
  summary.io = { ...io, millis: Math.round(now() - started) };
  return summary;
}

/**
 * Contiguous ranges of row groups, one per worker, balanced by compressed bytes.
 */
export function splitRowGroups(info: IParquetFileInfo, parts: number): number[][] {
  const groups = info.rowGroups.filter(group => group.numRows > 0);
  if (groups.length === 0) {
    return [];
  }
  const n = Math.max(1, Math.min(parts, groups.length));
  const total = groups.reduce((sum, group) => sum + group.compressedBytes, 0);
  const out: number[][] = [];
  let current: number[] = [];
  let acc = 0;
  for (const group of groups) {
    current.push(group.index);
    acc += group.compressedBytes;
    const target = (total * (out.length + 1)) / n;
    if (acc >= target && out.length < n - 1) {
      out.push(current);
      current = [];
    }
  }
  if (current.length) {
    out.push(current);
  }
  return out;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
