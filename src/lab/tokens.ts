/**
 * Services that cross locolens plugins.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

import type { IAnalysisProgress, IAnalysisResult } from '../core/analysis/result';
import type { ICacheStats } from '../core/cache/result-cache';
import type { IMonitorSample, IProfile } from '../core/monitor/performance-monitor';
import type { IDatasetSummary } from '../core/dataset/dataset-summary';
import type { ISelection } from '../core/kernels/cycle-tensor';
import type { IKernelOptions } from '../core/kernels/types';
import type { TableColumns } from '../core/worker/decode-service';
import type { IPoolStats } from '../core/pool/worker-pool';
import type { IMemoryLedgerStats } from '../core/analysis/memory-ledger';
import type { IValidationRanges } from '../core/validation/ranges';
import type { ICleanSummary, IFileValidation } from '../core/validation/validate-file';
import type { ITaskStrides } from '../core/validation/stride-samples';

/** Kernel backends offered in the browser (all off the page's thread, or on the GPU). */
export type BrowserBackend = 'auto' | 'workers' | 'webgpu';

/** Options of an analysis in the browser. */
export type IBrowserAnalyzeOptions = Partial<IKernelOptions> & {
  outlierThreshold?: number;
  backend?: BrowserBackend;
  /** Analyse a file that is not phase-indexed (no phase column): refused otherwise. */
  force?: boolean;
  /** Compute the 150 × F × F correlations at each phase (default true). */
  phaseCorrelations?: boolean;
  /** Aborting it cancels the run (nothing is cached). */
  signal?: AbortSignal;
  onProgress?: (progress: IAnalysisProgress) => void;
};

/** A long piece of work as the status bar sees it. */
export interface IActivity {
  id: number;
  label: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  progress?: IAnalysisProgress;
  /** Stops the work (while running). */
  cancel?: () => void;
  /** The result, when done. */
  result?: IAnalysisResult;
  /** Why it failed. */
  message?: string;
}

/** The browser caches, for the panel's cache section. */
export interface ICacheInfo {
  /** Results and summaries in IndexedDB. */
  results: ICacheStats;
  /** Decoded tensors in OPFS. */
  tensors: { blocks: number; bytes: number; disabled?: string };
  /** navigator.storage.estimate(), where the browser offers it. */
  storage: { usage: number; quota: number } | null;
  /** navigator.storage.persisted(), where the browser offers it. */
  persisted: boolean | null;
}

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
  analyze(path: string, selection: ISelection, options?: IBrowserAnalyzeOptions): Promise<IAnalysisResult>;
  /**
   * One feature's samples (`[cycle][phase]`) of a group of a result, read from the browser's
   * tensor store (only that feature): for drawing every cycle of a streamed group. Null when the
   * cycles are not stored.
   */
  groupSamples(path: string, result: IAnalysisResult, groupIndex: number, feature: number): Promise<Float32Array | null>;
  /** Progress and end of long work (analyses), for the status bar, the views and the gauges. */
  readonly activity: ISignal<ILocolensDatasets, IActivity>;
  /** Entries, sizes and hit counts of the browser caches, and the origin's storage estimate. */
  cacheInfo(): Promise<ICacheInfo>;
  /** Ask the browser to keep this origin's storage (navigator.storage.persist()). */
  requestPersistence(): Promise<boolean>;
  /**
   * Write a table to `path` (server root relative) as parquet (encoded in a worker) or CSV.
   */
  writeTable(path: string, columns: TableColumns, format: 'parquet' | 'csv'): Promise<void>;
  /** Write a file to `path` (server root relative): text, or bytes (a PNG, a PDF). */
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
  /** The .parquet files below `folder` (recursively, hidden folders skipped), sorted by path. */
  listParquetFiles(folder: string, limit?: number): Promise<IParquetFileEntry[]>;
  /** Size and last modification of a file (throws `file-not-found` when absent). */
  stat(path: string): Promise<{ path: string; size: number; lastModified: string }>;
  /** Empty the browser caches: results, summaries and decoded tensors. */
  clearCache(): Promise<void>;
  /**
   * Validate a file against LocoHub ranges on the worker pool (only the checked samples are read
   * out of each decoded row group); the result keeps the samples for live re-checks.
   */
  validate(path: string, ranges: IValidationRanges, options?: { ignore?: string[]; signal?: AbortSignal }): Promise<IFileValidation>;
  /** Every sample (`[stride][150]`, float64) of one variable for some strides of a task, for drawing. */
  strideCurves(path: string, strides: ITaskStrides, variable: string, only: Int32Array, signal?: AbortSignal): Promise<Float64Array>;
  /**
   * Write a validated file's clean file (failing strides removed, `exclude` columns dropped) to
   * `output` on the server: streamed from one worker, uploaded in chunks under a temporary name and
   * renamed when complete; an existing file at `output` is replaced. Its report goes beside it.
   */
  writeCleanFile(
    path: string,
    validation: IFileValidation,
    output: string,
    options?: { exclude?: string[]; rangesSource?: string; signal?: AbortSignal; onProgress?: (bytes: number) => void }
  ): Promise<ICleanSummary & { reportPath: string }>;
  /** A text file's content (e.g. a ranges YAML). */
  readText(path: string): Promise<string>;
  /** Statistics of the decode worker pool. */
  readonly poolStats: IPoolStats;
  /** The memory all analyses on the pool hold together (one budget), or null before the first. */
  readonly memoryLedger: IMemoryLedgerStats | null;
  /** Emitted when the pool size setting changes. */
  readonly configured: ISignal<ILocolensDatasets, void>;
}

/** The dataset service token. */
export const ILocolensDatasets = new Token<ILocolensDatasets>(
  'locolens:ILocolensDatasets',
  'Dataset summaries of parquet files on the Jupyter server, decoded in a pool of Web Workers.'
);

/** The performance record of the browser's analyses: live samples, the last profile, export. */
export interface ILocolensPerformance {
  /** The last samples (about a minute), across runs. */
  readonly history: IMonitorSample[];
  /** The last finished run's profile (stages, samples, peak, result). */
  readonly lastProfile: IProfile | null;
  /** The last finished run's activity. */
  readonly lastActivity: IActivity | null;
  /** Emitted on each sample and at the end of a run. */
  readonly changed: ISignal<ILocolensPerformance, void>;
  /** A stage measured by a view (e.g. render), added to the last run. */
  recordStage(name: string, ms: number): void;
  /** Sample while idle too (when a gauge is visible). */
  setIdleSampling(on: boolean): void;
  /** The last profile and the history as JSON (the CLI's --profile format). */
  exportJSON(): string;
}

/** The performance token. */
export const ILocolensPerformance = new Token<ILocolensPerformance>(
  'locolens:ILocolensPerformance',
  'Live performance samples and the profile of the last analysis.'
);

/** What the view shows: a subject×task, or a whole task (optionally some subjects). */
export interface IAnalysisRequest {
  path: string;
  task: string;
  /** One subject: its task is shown, and its other tasks are compared. */
  subject?: string;
  /** Some subjects of the task, analysed together. */
  subjects?: string[];
}
