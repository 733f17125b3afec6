/**
 * Services that cross locolens plugins.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

import type { IAnalysisResult } from '../core/analysis/analyze-dataset';
import type { IDatasetSummary } from '../core/dataset/dataset-summary';
import type { ISelection } from '../core/kernels/cycle-tensor';
import type { IKernelOptions } from '../core/kernels/types';
import type { TableColumns } from '../core/worker/decode-service';
import type { IPoolStats } from '../core/pool/worker-pool';

/** Kernel backends offered in the browser (all off the page's thread, or on the GPU). */
export type BrowserBackend = 'auto' | 'workers' | 'webgpu';

/** A parquet file on the Jupyter server. */
export interface IParquetFileEntry {
  /** Path from the server root. */
  path: string;
  name: string;
  size: number;
  lastModified: string;
}

/**
 * Dataset summaries of parquet files on the Jupyter server, decoded off the main thread.
 */
export interface ILocolensDatasets {
  /**
   * The summary of a file (footer and key columns only, through HTTP Range reads).
   *
   * @param path - path from the server root.
   * @param options.scanValues - also count NaN values in every variable (reads most of the file).
   */
  inspect(path: string, options?: { scanValues?: boolean }): Promise<IDatasetSummary>;
  /**
   * Analyse the selected cycles of a file with every kernel, off the main thread (the decode
   * workers run the wasm kernels and the whole-tensor statistics).
   */
  analyze(
    path: string,
    selection: ISelection,
    options?: Partial<IKernelOptions> & { outlierThreshold?: number; backend?: BrowserBackend }
  ): Promise<IAnalysisResult>;
  /**
   * Write a table to `path` (server root relative) as parquet (encoded in a worker) or CSV.
   */
  writeTable(path: string, columns: TableColumns, format: 'parquet' | 'csv'): Promise<void>;
  /** The .parquet files below `folder` (recursively, hidden folders skipped), sorted by path. */
  listParquetFiles(folder: string, limit?: number): Promise<IParquetFileEntry[]>;
  /** Size and last modification of a file (throws `file-not-found` when absent). */
  stat(path: string): Promise<{ path: string; size: number; lastModified: string }>;
  /** Empty the browser cache of summaries. */
  clearCache(): Promise<void>;
  /** Statistics of the decode worker pool. */
  readonly poolStats: IPoolStats;
  /** Emitted when the pool size setting changes. */
  readonly configured: ISignal<ILocolensDatasets, void>;
}

/** The dataset service token. */
export const ILocolensDatasets = new Token<ILocolensDatasets>(
  'locolens:ILocolensDatasets',
  'Dataset summaries of parquet files on the Jupyter server, decoded in a pool of Web Workers.'
);
