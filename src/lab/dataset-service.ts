/**
 * The browser side of the dataset service: Contents API for listing and file identity,
 * `/files/` with Range requests for bytes, a pool of decode workers for the work.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { Signal, type ISignal } from '@lumino/signaling';

import type { IDatasetSummary } from '../core/dataset/dataset-summary';
import { inspectDataset } from '../core/dataset/inspect-dataset';
import { ResultCache } from '../core/cache/result-cache';
import { DEFAULT_MEMORY_BUDGET, analyzeDataset, readGroupFeature } from '../core/analysis/analyze-dataset';
import { autoMemoryBudget } from '../core/analysis/plan';
import { memoryLedgerOf, type IMemoryLedgerStats } from '../core/analysis/memory-ledger';
import {
  isAnalysisResult,
  withoutTensors,
  type IAnalysisProgress,
  type IAnalysisResult,
  type IAnalysisStore
} from '../core/analysis/result';
import { TensorStore } from '../core/store/tensor-store';
import { HttpRangeSource } from '../core/io/http-range-source';
import { readParquetFooter, type IParquetFileInfo } from '../core/parquet/footer';
import type { ISelection } from '../core/kernels/cycle-tensor';
import { LocolensError, describeError, errorCode } from '../core/errors';
import type { SourceSpec } from '../core/io/byte-source';
import { createBrowserPool } from '../core/pool/browser-pool';
import type { IPoolStats } from '../core/pool/worker-pool';
import type { DecodePool } from '../core/worker/decode-service';
import type { TableColumns } from '../core/worker/decode-service';
import { toCsv } from './export-results';
import type { IValidationRanges } from '../core/validation/ranges';
import { readStrideSamples, type ITaskStrides } from '../core/validation/stride-samples';
import {
  cleanReportJSON,
  validateFile,
  writeCleanFile,
  type ICleanSink,
  type ICleanSummary,
  type IFileValidation
} from '../core/validation/validate-file';
import { LOCOLENS_VERSION } from '../core/version';
import { probeAdapter, registerGpuProvider } from '../core/kernels/webgpu/gpu-device';
import type { BrowserBackend, IActivity, IBrowserAnalyzeOptions, ICacheInfo, ILocolensDatasets, IParquetFileEntry } from './tokens';

/** Whether a cached value has the shape of a dataset summary. */
function isDatasetSummary(value: unknown): value is IDatasetSummary {
  const summary = value as IDatasetSummary | null;
  return (
    !!summary &&
    summary.schemaVersion === 1 &&
    typeof summary.file?.rows === 'number' &&
    Array.isArray(summary.blocks) &&
    Array.isArray(summary.variables) &&
    Array.isArray(summary.findings) &&
    typeof summary.io?.bytesRead === 'number'
  );
}

/** What names a file's content in cache keys: server path, size, last_modified and footer hash. */
function fileIdentity(
  path: string,
  spec: SourceSpec,
  footerHash = ''
): { path: string; size: number; lastModified: string; footerHash: string } {
  return {
    path,
    size: spec.kind === 'http' ? (spec.size ?? 0) : 0,
    lastModified: spec.kind === 'http' ? (spec.version ?? '') : '',
    footerHash
  };
}

/** Base64 of bytes, in chunks (no giant argument lists). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Implementation of ILocolensDatasets. */
/** Files up to this size are read whole with their footer (one request) and handed to the workers. */
const SMALL_FILE = 256 * 1024;

export class DatasetService implements ILocolensDatasets {
  constructor(
    private readonly contents: Contents.IManager,
    private readonly serverSettings: ServerConnection.ISettings
  ) {
    // WebGPU needs a secure context (https or localhost); elsewhere navigator.gpu is absent.
    registerGpuProvider(async () => (navigator as Navigator & { gpu?: GPU }).gpu ?? null);
  }

  private pool: DecodePool | null = null;
  private poolSize = 0;
  private readonly summaries = new Map<string, Promise<IDatasetSummary>>();
  private readonly configuredSignal = new Signal<this, void>(this);

  get configured(): Signal<this, void> {
    return this.configuredSignal;
  }

  get poolStats(): IPoolStats {
    return this.pool?.poolStats ?? { size: this.poolSize, busy: 0, queued: 0, tasksDone: 0, restarts: 0 };
  }

  get memoryLedger(): IMemoryLedgerStats | null {
    return this.pool ? memoryLedgerOf(this.pool, this.memoryBudget).stats : null;
  }

  /**
   * Start the workers and load their WebAssembly (parquet-wasm and the kernels) before the first
   * analysis needs them; failures are left to that analysis to report.
   */
  async warmUp(): Promise<void> {
    await this.workers()
      .warm(api => api.warm())
      .catch(() => undefined);
  }

  /** Set the number of workers (0 = one per logical core, at most 8); restarts the pool. */
  setPoolSize(size: number): void {
    if (size === this.poolSize) {
      return;
    }
    this.poolSize = size;
    this.pool?.dispose();
    this.pool = null;
    this.configuredSignal.emit();
  }

  async inspect(path: string, options: { scanValues?: boolean } = {}): Promise<IDatasetSummary> {
    const spec = await this.specFor(path);
    const key = `${spec.kind === 'http' ? `${spec.url}@${spec.version}:${spec.size}` : path}|${options.scanValues ? 'scan' : ''}`;
    let summary = this.summaries.get(key);
    if (!summary) {
      summary = this.cachedSummary(path, spec, options);
      this.summaries.set(key, summary);
      summary.catch(() => this.summaries.delete(key));
    }
    return summary;
  }

  /** The summary from the browser cache when the file (size, date, footer) is the same. */
  private async cachedSummary(path: string, spec: SourceSpec, options: { scanValues?: boolean }): Promise<IDatasetSummary> {
    const pool = this.workers();
    // The footer (a few kB) names the file's content: part of the key, so no stale summary. It
    // is read on this thread (hyparquet, no wasm), so a cache hit starts no worker.
    const footer = await this.readFooter(spec);
    const { value, hit } = await this.cache.getOrCompute(
      {
        ...fileIdentity(path, spec, footer.value.footerHash),
        operation: 'dataset-summary',
        params: { scanValues: !!options.scanValues },
        version: LOCOLENS_VERSION
      },
      // A small file read whole with its footer goes to the workers as it is: read once.
      () =>
        inspectDataset(pool, footer.prefetched && spec.kind === 'http' ? { ...spec, prefetched: footer.prefetched } : spec, {
          ...options,
          footer
        }),
      isDatasetSummary
    );
    return hit ? { ...value, io: { ...value.io, cached: true, bytesRead: footer.io.bytesRead, requests: footer.io.requests } } : value;
  }

  /**
   * The footer of a file over HTTP Range requests, with the I/O it took. A small file (at most
   * SMALL_FILE bytes, about what a footer read fetches anyway) is read whole in one request, and
   * its bytes come back for the workers.
   */
  private async readFooter(
    spec: SourceSpec
  ): Promise<{ value: IParquetFileInfo; io: { bytesRead: number; requests: number }; prefetched?: Uint8Array }> {
    if (spec.kind !== 'http') {
      throw new LocolensError('bad-argument', 'the browser reads files over HTTP only');
    }
    let source = await HttpRangeSource.open(spec.url, { name: spec.name, size: spec.size, headers: spec.headers });
    let prefetched: Uint8Array | undefined;
    if (source.size > 0 && source.size <= SMALL_FILE) {
      prefetched = await source.read(0, source.size);
      const io = { ...source.stats };
      source = await HttpRangeSource.open(spec.url, { name: spec.name, size: source.size, headers: spec.headers, prefetched });
      Object.assign(source.stats, io);
    }
    try {
      const value = await readParquetFooter(source);
      return { value, io: { bytesRead: source.stats.bytesRead, requests: source.stats.requests }, prefetched };
    } finally {
      await source.close();
    }
  }

  /** The result cache (IndexedDB). */
  readonly cache = new ResultCache(512 * 1024 * 1024);

  /** Set the caches' size cap in MB (results in IndexedDB, and decoded tensors in OPFS). */
  setCacheLimit(megabytes: number): void {
    this.cache.setMaxBytes(megabytes * 1024 * 1024);
    if (this.store) {
      this.store.maxBytes = megabytes * 1024 * 1024;
    }
  }

  /** Empty the browser caches (results, summaries, decoded tensors). */
  async clearCache(): Promise<void> {
    this.summaries.clear();
    await this.cache.clear();
    await this.tensorStore(this.workers())
      .clear()
      .catch(error => console.warn(`locolens: the tensor store could not be cleared (${describeError(error)})`));
    this.activitySignal.emit({ id: ++this.activityCount, label: 'cache cleared', state: 'done' });
  }

  async analyze(path: string, selection: ISelection, options: IBrowserAnalyzeOptions = {}): Promise<IAnalysisResult> {
    const spec = await this.specFor(path);
    const summary = await this.inspect(path);
    // The key names the backend asked for; it is resolved (a GPU adapter requested) on a miss only.
    const requested = options.backend ?? this.backend;
    const pool = this.workers();
    const store = this.storeFor(path, spec, summary, pool);
    const { signal, onProgress, ...kernelOptions } = options;
    // The status bar's cancel and the caller's signal both stop the run.
    const controller = new AbortController();
    // A signal aborted while the summary was read (a re-executed notebook cell) fires no event.
    if (signal?.aborted) {
      controller.abort();
    }
    signal?.addEventListener('abort', () => controller.abort());
    const activity: IActivity = {
      id: ++this.activityCount,
      label: `${path}: ${selection.task ?? selection.subjects?.join(', ') ?? 'all'}`,
      state: 'running',
      cancel: () => controller.abort()
    };
    this.activitySignal.emit(activity);
    const report = (progress: IAnalysisProgress) => {
      onProgress?.(progress);
      this.activitySignal.emit({ ...activity, progress });
    };
    try {
      const { value, hit } = await this.cache.getOrCompute(
        {
          ...fileIdentity(path, spec, summary.footerHash),
          operation: 'analysis',
          params: {
            selection,
            ddof: kernelOptions.ddof ?? 0,
            nan: kernelOptions.nan ?? 'propagate',
            threshold: kernelOptions.outlierThreshold ?? 2,
            backend: requested,
            budget: this.memoryBudget,
            phases: kernelOptions.phaseCorrelations ?? true,
            force: kernelOptions.force ?? false
          },
          version: LOCOLENS_VERSION
        },
        async () =>
          analyzeDataset(pool, spec, selection, {
            ...kernelOptions,
            summary,
            backend: await this.resolveBackend(requested),
            offload: true,
            memoryBudget: this.memoryBudget,
            store,
            signal: controller.signal,
            onProgress: report
          }),
        isAnalysisResult,
        withoutTensors,
        // (Stops waiting for another tab analysing the same key.)
        controller.signal
      );
      value.cached = hit;
      this.activitySignal.emit({ ...activity, state: 'done', result: value });
      return value;
    } catch (error) {
      this.activitySignal.emit({
        ...activity,
        state: errorCode(error) === 'cancelled' ? 'cancelled' : 'failed',
        message: describeError(error)
      });
      throw error;
    }
  }

  async groupSamples(path: string, result: IAnalysisResult, groupIndex: number, feature: number): Promise<Float32Array | null> {
    const spec = await this.specFor(path);
    const summary = await this.inspect(path);
    return readGroupFeature(result, summary, this.storeFor(path, spec, summary, this.workers()), groupIndex, feature).catch(() => null);
  }

  /** Progress of long work (analyses), for the status bar and the gauges. */
  get activity(): ISignal<this, IActivity> {
    return this.activitySignal;
  }

  private readonly activitySignal = new Signal<this, IActivity>(this);
  private activityCount = 0;

  /** Bytes of cycle data an analysis holds at once (the setting, in MB). */
  /** The budget in MB, or 0 for automatic (the browser's memory hints). */
  setMemoryBudget(megabytes: number): void {
    this.memoryBudget =
      megabytes > 0
        ? Math.max(16, megabytes) * 1024 * 1024
        : autoMemoryBudget({
            deviceMemoryGB: (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? null,
            heapLimitBytes: (performance as Performance & { memory?: { jsHeapSizeLimit: number } }).memory?.jsHeapSizeLimit ?? null
          });
  }

  /** The memory budget in force (bytes). */
  get memoryBudgetBytes(): number {
    return this.memoryBudget;
  }

  private memoryBudget = DEFAULT_MEMORY_BUDGET;

  private store: TensorStore | null = null;

  /** The tensor store with a file's identity (path, size, last_modified, footer hash). */
  private storeFor(path: string, spec: SourceSpec, summary: IDatasetSummary, pool: DecodePool): IAnalysisStore {
    const { size, lastModified, footerHash } = fileIdentity(path, spec, summary.footerHash);
    return { store: this.tensorStore(pool), identity: JSON.stringify([path, size, lastModified, footerHash]) };
  }

  /** The decoded-tensor store in OPFS, owned by this pool's workers. */
  private tensorStore(pool: DecodePool): TensorStore {
    if (!this.store || this.store.pool !== pool) {
      this.store = new TensorStore(pool, 'locolens-tensors', LOCOLENS_VERSION, this.cache.maxBytes);
    }
    return this.store;
  }

  async cacheInfo(): Promise<ICacheInfo> {
    const results = await this.cache.stats();
    const store = this.tensorStore(this.workers());
    let tensors: ICacheInfo['tensors'] = { blocks: 0, bytes: 0, disabled: store.stats.disabled };
    try {
      tensors = { ...(await store.size()), disabled: store.stats.disabled };
    } catch (error) {
      tensors.disabled = describeError(error);
    }
    const storage = navigator.storage;
    const estimate = storage?.estimate ? await storage.estimate().catch(() => null) : null;
    const persisted = storage?.persisted ? await storage.persisted().catch(() => null) : null;
    return {
      results,
      tensors,
      storage: estimate ? { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 } : null,
      persisted
    };
  }

  async requestPersistence(): Promise<boolean> {
    if (!navigator.storage?.persist) {
      return false;
    }
    return navigator.storage.persist();
  }

  /** The backend setting ('auto' | 'workers' | 'webgpu'). */
  setBackend(backend: BrowserBackend): void {
    this.backend = backend;
  }

  private backend: BrowserBackend = 'auto';

  /** 'auto' is the GPU when the browser offers a hardware adapter, else the worker pool. */
  private async resolveBackend(backend: BrowserBackend): Promise<'workers' | 'webgpu'> {
    if (backend !== 'auto') {
      return backend;
    }
    // The adapter alone tells (no device, no shader compiled): a software one is not used by `auto`.
    const adapter = await probeAdapter();
    return adapter && !adapter.software ? 'webgpu' : 'workers';
  }

  async stat(path: string): Promise<{ path: string; size: number; lastModified: string }> {
    const spec = await this.specFor(path);
    const { size, lastModified } = fileIdentity(path, spec);
    return { path, size, lastModified };
  }

  /** Write a table next to a dataset (parquet in a worker, or CSV) through the Contents API. */
  async writeTable(path: string, columns: TableColumns, format: 'parquet' | 'csv'): Promise<void> {
    if (format === 'csv') {
      await this.writeFile(path, toCsv(columns));
      return;
    }
    const { value } = await this.workers().run(api => api.writeParquet(columns));
    await this.writeFile(path, value);
  }

  /** Write a file through the Contents API: text as text, bytes as base64. */
  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    await this.contents.save(
      path,
      typeof content === 'string'
        ? { type: 'file', format: 'text', content }
        : { type: 'file', format: 'base64', content: toBase64(content) }
    );
  }

  async validate(
    path: string,
    ranges: IValidationRanges,
    options: { ignore?: string[]; signal?: AbortSignal } = {}
  ): Promise<IFileValidation> {
    const summary = await this.inspect(path);
    return validateFile(this.workers(), await this.specFor(path), summary, ranges, options);
  }

  async strideCurves(path: string, strides: ITaskStrides, variable: string, only: Int32Array, signal?: AbortSignal): Promise<Float64Array> {
    const summary = await this.inspect(path);
    const indices = Array.from({ length: 150 }, (_, i) => i);
    const [values] = await readStrideSamples(
      this.workers(),
      await this.specFor(path),
      summary,
      [{ strides, variables: [variable], indices, only }],
      signal
    );
    // [phase][stride] → [stride][phase]
    const count = only.length;
    const out = new Float64Array(count * 150);
    for (let k = 0; k < 150; k++) {
      for (let s = 0; s < count; s++) {
        out[s * 150 + k] = values[k * count + s];
      }
    }
    return out;
  }

  async writeCleanFile(
    path: string,
    validation: IFileValidation,
    output: string,
    options: { exclude?: string[]; rangesSource?: string; signal?: AbortSignal; onProgress?: (bytes: number) => void } = {}
  ): Promise<ICleanSummary & { reportPath: string }> {
    if (output === path) {
      throw new LocolensError('bad-argument', `the clean file would overwrite ${path}`);
    }
    const summary = await this.inspect(path);
    const kept = await writeCleanFile(this.workers(), await this.specFor(path), summary, validation, this.uploadSink(output), options);
    const report: ICleanSummary = { ...kept, source: path, output, rangesSource: options.rangesSource ?? '' };
    const reportPath = `${output.replace(/\.parquet$/i, '')}_report.json`;
    await this.writeFile(reportPath, `${JSON.stringify(cleanReportJSON(report, validation.result), null, 2)}\n`);
    return { ...report, reportPath };
  }

  async readText(path: string): Promise<string> {
    let model: Contents.IModel;
    try {
      model = await this.contents.get(path, { content: true, format: 'text', type: 'file' });
    } catch (error) {
      throw new LocolensError('file-not-found', `${path}: cannot be read (${describeError(error)})`);
    }
    return String(model.content ?? '');
  }

  /**
   * A file uploaded through the Contents API in chunks (jupyter_server's chunked save) under a
   * temporary name (`<output>.uploading`: the server refuses hidden names by default), renamed to
   * `output` when complete; removed on failure.
   */
  private uploadSink(output: string): ICleanSink {
    const temporary = `${output}.uploading`;
    let pending: Uint8Array | null = null;
    let chunk = 0;
    const upload = async (bytes: Uint8Array, last: boolean) => {
      chunk++;
      if (chunk === 1) {
        // A chunked save appends to an existing file: start from none.
        await this.contents.delete(temporary).catch(() => undefined);
      }
      await this.contents.save(temporary, { type: 'file', format: 'base64', content: toBase64(bytes), chunk: last ? -1 : chunk });
    };
    return {
      write: async bytes => {
        if (pending) {
          await upload(pending, false);
        }
        pending = bytes;
      },
      close: async () => {
        await upload(pending ?? new Uint8Array(0), true);
        await this.contents.delete(output).catch(() => undefined);
        await this.contents.rename(temporary, output);
      },
      abort: async () => {
        await this.contents.delete(temporary).catch(() => undefined);
      }
    };
  }

  async listParquetFiles(folder: string, limit = 2000): Promise<IParquetFileEntry[]> {
    const found: IParquetFileEntry[] = [];
    const pending = [folder.replace(/^\/+|\/+$/g, '')];
    while (pending.length && found.length < limit) {
      const dir = pending.shift()!;
      let listing: Contents.IModel;
      try {
        listing = await this.contents.get(dir, { content: true });
      } catch (error) {
        if (dir === pending[0] || found.length === 0) {
          throw new LocolensError('file-not-found', `folder "${dir || '/'}" cannot be listed (${String(error)})`);
        }
        continue;
      }
      if (listing.type !== 'directory') {
        throw new LocolensError('bad-argument', `"${dir}" is not a folder`);
      }
      for (const item of listing.content as Contents.IModel[]) {
        if (item.name.startsWith('.')) {
          continue;
        }
        if (item.type === 'directory') {
          pending.push(item.path);
        } else if (item.name.toLowerCase().endsWith('.parquet')) {
          found.push({ path: item.path, name: item.name, size: item.size ?? 0, lastModified: item.last_modified });
        }
      }
    }
    return found.sort((a, b) => a.path.localeCompare(b.path)).slice(0, limit);
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
  }

  private workers(): DecodePool {
    if (!this.pool || this.pool.isDisposed) {
      this.pool = createBrowserPool(this.poolSize > 0 ? this.poolSize : undefined);
    }
    return this.pool;
  }

  /** Where the worker reads the file: `/files/<path>` with the server's token, and its identity. */
  private async specFor(path: string): Promise<SourceSpec> {
    let model: Contents.IModel;
    try {
      model = await this.contents.get(path, { content: false });
    } catch {
      throw new LocolensError('file-not-found', `${path}: no such file on the server`);
    }
    if (model.type === 'directory') {
      throw new LocolensError('bad-argument', `${path} is a folder`);
    }
    const settings = this.serverSettings;
    const url = URLExt.join(settings.baseUrl, 'files', URLExt.encodeParts(model.path));
    const headers: Record<string, string> = {};
    if (settings.token) {
      headers.Authorization = `token ${settings.token}`;
    }
    return {
      kind: 'http',
      url: new URL(url, location.href).href,
      name: model.path,
      size: model.size ?? undefined,
      version: model.last_modified,
      headers
    };
  }
}
