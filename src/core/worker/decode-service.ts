/**
 * What a decode worker does: open files by spec, read footers, decode row groups, and compute
 * per-row-group partials (key runs, missing-value counts) next to the data.
 *
 * #### Notes
 * The same class runs in a browser Web Worker and in a Node worker_thread (comlink exposes it);
 * only `openSource` differs. Every method answers an envelope: errors keep their code and their
 * one-line message across the thread boundary.
 */
import { transfer } from 'comlink';

import type { WorkerPool } from '../pool/worker-pool';

import { LocolensError, describeError, errorCode, type Envelope } from '../errors';
import { sourceKey, type IByteSource, type SourceSpec } from '../io/byte-source';
import { fileChanged } from '../io/file-changed';
import { batchTransferables, type ColumnData, type IColumnBatch } from '../parquet/column-data';
import { ParquetColumnReader } from '../parquet/column-reader';
import { parquetWasm } from '../parquet/parquet-wasm';
import { readParquetFooter, type IParquetFileInfo } from '../parquet/footer';
import { keyRunsOfBatch, type IKeyColumns, type IKeyRunsPartial } from '../dataset/key-runs';
import {
  chunkStatistics,
  groupStatistics,
  type IChunkStatistics,
  type IGroupStatistics,
  type StatisticsPart
} from '../kernels/group-statistics';
import type { IChunkFiles, IStoredFolder } from '../store/chunk-files';
import type { ICycleTensor, IKernelOptions, IPatternPartial, IPerCycleFeatures } from '../kernels/types';
import { AnalysisJobs } from '../analysis/job';
import { CleanWriters, type ICleanPlan } from '../validation/clean-writer';
import { arrowIPC, type TableColumns } from '../io/arrow-tables';
import type {
  IChunkResult,
  IGroupRoundAnswer,
  IGroupRoundRequest,
  IJobBlock,
  IJobOptions,
  IRowGroupAnswer,
  IStoredChunk,
  IFlushAnswer
} from './protocol';

/** Columns of a table to write: numbers or strings, all of the same length. */
export type { TableColumns };

export type { Envelope, IIoCount } from '../errors';

/** The pool of decode workers. */
export type DecodePool = WorkerPool<IDecodeService>;

/** The API a decode worker exposes. */
export interface IDecodeService {
  footer(spec: SourceSpec): Promise<Envelope<IParquetFileInfo>>;
  keyRuns(spec: SourceSpec, rowGroups: number[], keys: IKeyColumns): Promise<Envelope<IKeyRunsPartial[]>>;
  readColumns(spec: SourceSpec, rowGroup: number, columns: string[]): Promise<Envelope<IColumnBatch>>;
  countMissing(spec: SourceSpec, rowGroups: number[], columns: string[]): Promise<Envelope<Record<string, number>>>;
  /** Per-cycle features and pattern moments of a (transferred) tensor, with the wasm kernel. */
  cycleKernels(tensor: ICycleTensor, options: IKernelOptions): Promise<Envelope<{ perCycle: IPerCycleFeatures; partial: IPatternPartial }>>;
  /** Per-cycle RMSE of a (transferred) tensor against a mean pattern, with the wasm kernel. */
  cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions): Promise<Envelope<Float64Array>>;
  /** A table written as parquet (zstd) with parquet-wasm. */
  writeParquet(columns: TableColumns): Promise<Envelope<Uint8Array>>;
  /** ROM overall, summary statistics, validation and correlations of a (transferred) tensor. */
  groupStatistics(
    tensor: ICycleTensor,
    options: IKernelOptions,
    phaseCorrelations: boolean,
    parts?: StatisticsPart[]
  ): Promise<Envelope<Partial<IGroupStatistics>>>;
  /** Validation flags and co-moments of one (transferred) chunk of a streamed group. */
  chunkStatistics(tensor: ICycleTensor, phaseCorrelations: boolean): Promise<Envelope<IChunkStatistics>>;
  /**
   * A tensor store operation on this worker's files (OPFS in the browser, a cache folder in
   * Node; `root` names the store's top folder). Reads answer bytes (transferred).
   */
  store(root: string, operation: StoreOperation): Promise<Envelope<StoreAnswer>>;
  close(spec: SourceSpec): Promise<void>;
  /** Load this worker's wasm modules (parquet-wasm and the kernels) ahead of the first job. */
  warm(): Promise<Envelope<null>>;
  /** Decode one row group of a job and run the kernels on its whole cycles (see ../analysis/job.ts). */
  jobRowGroup(
    job: string,
    spec: SourceSpec,
    rowGroup: number,
    features: string[],
    blocks: IJobBlock[],
    options: IJobOptions
  ): Promise<Envelope<IRowGroupAnswer>>;
  /** The kernels on a (transferred) chunk of a job: cycles carried over row-group boundaries. */
  jobChunk(job: string, block: IJobBlock, firstCycle: number, tensor: ICycleTensor, options: IJobOptions): Promise<Envelope<IChunkResult>>;
  /** The kernels on a chunk of a stored block, read from this worker's store files. */
  jobStoredChunk(
    job: string,
    block: IJobBlock,
    chunk: IStoredChunk,
    features: string[],
    options: IJobOptions
  ): Promise<Envelope<IChunkResult>>;
  /** One finish round of some of a job's groups (one answer per group, in order). */
  jobRounds(
    job: string,
    groups: number[],
    features: number,
    requests: IGroupRoundRequest[],
    options: IJobOptions
  ): Promise<Envelope<IGroupRoundAnswer[]>>;
  /** Wait for a job's cache writes on this worker to end, and report them. */
  jobFlush(job: string): Promise<Envelope<IFlushAnswer>>;
  /** Drop what this worker holds of a job. */
  jobRelease(job: string): Promise<Envelope<null>>;
  /**
   * The values of `columns` at some rows of a row group (local row numbers), widened to float64
   * (strings are NaN): the samples a validation checks, or one variable's strides for drawing.
   */
  pickRows(spec: SourceSpec, rowGroup: number, columns: string[], rows: Int32Array): Promise<Envelope<Float64Array[]>>;
  /** Start clean export `id` of a file on this worker (see ../validation/clean-writer.ts). */
  cleanStart(id: string, spec: SourceSpec, plan: ICleanPlan): Promise<Envelope<null>>;
  /** The next piece of clean export `id`'s parquet bytes (transferred), or null at its end. */
  cleanNext(id: string): Promise<Envelope<Uint8Array | null>>;
  /** Stop clean export `id`. */
  cleanCancel(id: string): Promise<Envelope<null>>;
}

/** A chunk result's envelope with its buffers marked for transfer. */
function chunkEnvelope(envelope: Envelope<IChunkResult>): Envelope<IChunkResult> {
  return envelope.ok ? transfer(envelope, chunkBuffers(envelope.value)) : envelope;
}

/** The buffers of a chunk result, transferred. */
function chunkBuffers(chunk: IChunkResult): ArrayBuffer[] {
  return [...Object.values(chunk.perCycle), chunk.reasons].map(array => array.buffer as ArrayBuffer);
}

/** The buffers of a round's answer, transferred. */
function roundBuffers({ counts, partial, moments, parts, nan, rmse, quantiles }: IGroupRoundAnswer): ArrayBuffer[] {
  const partArrays = (parts ?? []).flatMap(part => [
    part.partial.count,
    part.partial.mean,
    part.partial.m2,
    part.partial.nan,
    part.moments.features,
    part.moments.phases
  ]);
  return [
    counts,
    partial?.count,
    partial?.mean,
    partial?.m2,
    partial?.nan,
    moments?.features,
    moments?.phases,
    nan,
    quantiles,
    ...partArrays,
    ...(rmse ?? []).map(part => part.values)
  ]
    .filter((array): array is NonNullable<typeof array> => !!array)
    .map(array => array.buffer as ArrayBuffer);
}

/** What `store` does. */
export type StoreOperation =
  | { op: 'write'; path: string; data: Uint8Array }
  | { op: 'read'; path: string; ranges: Array<[number, number]> | null }
  | { op: 'remove'; path: string }
  | { op: 'list'; path: string };

/** What `store` answers: bytes for a read, folders for a list. */
export type StoreAnswer = Uint8Array | IStoredFolder[] | null;

interface IOpenFile {
  source: IByteSource;
  info: IParquetFileInfo;
  reader?: ParquetColumnReader;
}

/** The decode worker's implementation. */
export class DecodeService implements IDecodeService {
  /**
   * @param openSource - opens a file by spec (HTTP in the browser, the file system in Node).
   * @param chunkFiles - the tensor store's files under a root, where this environment has them.
   */
  constructor(
    private readonly openSource: (spec: SourceSpec) => Promise<IByteSource>,
    private readonly chunkFiles?: (root: string) => IChunkFiles
  ) {
    this.jobs = new AnalysisJobs(chunkFiles);
  }

  private readonly files = new Map<string, Promise<IOpenFile>>();
  private readonly jobs: AnalysisJobs;
  private readonly cleanWriters = new CleanWriters();

  async warm(): Promise<Envelope<null>> {
    return this.compute(async () => {
      await Promise.all([parquetWasm(), this.jobs.kernels('wasm')]);
      return null;
    });
  }

  async jobRowGroup(
    job: string,
    spec: SourceSpec,
    rowGroup: number,
    features: string[],
    blocks: IJobBlock[],
    options: IJobOptions
  ): Promise<Envelope<IRowGroupAnswer>> {
    const envelope = await this.call(spec, async file => {
      const started = performance.now();
      // The decoded columns are read in place (views on parquet-wasm's memory) while cut into chunks.
      return (await this.reader(file)).consumeRowGroup(rowGroup, features, batch =>
        this.jobs.rowGroup(job, batch, features, blocks, options, performance.now() - started)
      );
    });
    if (!envelope.ok) {
      return envelope;
    }
    const buffers = [
      ...envelope.value.chunks.flatMap(chunkBuffers),
      ...envelope.value.edges.map(edge => edge.data.buffer as ArrayBuffer),
      ...envelope.value.finished.flatMap(({ answer }) => roundBuffers(answer))
    ];
    return transfer(envelope, buffers);
  }

  async jobChunk(
    job: string,
    block: IJobBlock,
    firstCycle: number,
    tensor: ICycleTensor,
    options: IJobOptions
  ): Promise<Envelope<IChunkResult>> {
    return chunkEnvelope(await this.compute(() => this.jobs.chunk(job, block, firstCycle, tensor, options)));
  }

  async jobStoredChunk(
    job: string,
    block: IJobBlock,
    chunk: IStoredChunk,
    features: string[],
    options: IJobOptions
  ): Promise<Envelope<IChunkResult>> {
    return chunkEnvelope(await this.compute(() => this.jobs.storedChunk(job, block, chunk, features, options)));
  }

  async jobRounds(
    job: string,
    groups: number[],
    features: number,
    requests: IGroupRoundRequest[],
    options: IJobOptions
  ): Promise<Envelope<IGroupRoundAnswer[]>> {
    const envelope = await this.compute(async () => {
      const answers: IGroupRoundAnswer[] = [];
      for (let i = 0; i < groups.length; i++) {
        answers.push(await this.jobs.round(job, groups[i], features, requests[i], options));
      }
      return answers;
    });
    if (!envelope.ok) {
      return envelope;
    }
    return transfer(envelope, envelope.value.flatMap(roundBuffers));
  }

  async jobFlush(job: string): Promise<Envelope<IFlushAnswer>> {
    return this.compute(() => this.jobs.flush(job));
  }

  async jobRelease(job: string): Promise<Envelope<null>> {
    this.jobs.release(job);
    return { ok: true, value: null, io: { bytesRead: 0, requests: 0 } };
  }

  async pickRows(spec: SourceSpec, rowGroup: number, columns: string[], rows: Int32Array): Promise<Envelope<Float64Array[]>> {
    const envelope = await this.call(spec, async file =>
      (await this.reader(file)).consumeRowGroup(rowGroup, columns, batch => columns.map(name => pickColumnRows(batch.columns[name], rows)))
    );
    return envelope.ok
      ? transfer(
          envelope,
          envelope.value.map(values => values.buffer as ArrayBuffer)
        )
      : envelope;
  }

  cleanStart(id: string, spec: SourceSpec, plan: ICleanPlan): Promise<Envelope<null>> {
    return this.call(spec, async file => {
      await this.cleanWriters.start(id, await this.reader(file), plan);
      return null;
    });
  }

  async cleanNext(id: string): Promise<Envelope<Uint8Array | null>> {
    const envelope = await this.compute(() => this.cleanWriters.next(id));
    return envelope.ok && envelope.value ? transfer(envelope, [envelope.value.buffer as ArrayBuffer]) : envelope;
  }

  cleanCancel(id: string): Promise<Envelope<null>> {
    return this.compute(async () => {
      await this.cleanWriters.cancel(id);
      return null;
    });
  }

  footer(spec: SourceSpec): Promise<Envelope<IParquetFileInfo>> {
    return this.call(spec, async file => file.info);
  }

  keyRuns(spec: SourceSpec, rowGroups: number[], keys: IKeyColumns): Promise<Envelope<IKeyRunsPartial[]>> {
    const columns = [keys.subject, keys.task, keys.taskId, keys.phase].filter((name): name is string => !!name);
    return this.call(spec, async file => {
      const partials: IKeyRunsPartial[] = [];
      for (const rowGroup of rowGroups) {
        const reader = await this.reader(file);
        partials.push(await reader.consumeRowGroup(rowGroup, columns, batch => keyRunsOfBatch(batch, keys)));
      }
      return partials;
    });
  }

  async readColumns(spec: SourceSpec, rowGroup: number, columns: string[]): Promise<Envelope<IColumnBatch>> {
    const envelope = await this.call(spec, async file => (await this.reader(file)).readRowGroup(rowGroup, columns));
    return envelope.ok ? transfer(envelope, batchTransferables(envelope.value)) : envelope;
  }

  countMissing(spec: SourceSpec, rowGroups: number[], columns: string[]): Promise<Envelope<Record<string, number>>> {
    return this.call(spec, async file => {
      const counts: Record<string, number> = Object.fromEntries(columns.map(name => [name, 0]));
      for (const rowGroup of rowGroups) {
        const batch = await (await this.reader(file)).readRowGroup(rowGroup, columns);
        for (const name of columns) {
          const column = batch.columns[name];
          if (column.kind === 'float32' || column.kind === 'float64') {
            const values = column.values;
            let missing = 0;
            for (let i = 0; i < values.length; i++) {
              if (values[i] !== values[i]) {
                missing++;
              }
            }
            counts[name] += missing;
          } else {
            counts[name] += column.nullCount;
          }
        }
      }
      return counts;
    });
  }

  async cycleKernels(
    tensor: ICycleTensor,
    options: IKernelOptions
  ): Promise<Envelope<{ perCycle: IPerCycleFeatures; partial: IPatternPartial }>> {
    const envelope = await this.compute(async () => (await this.jobs.kernels('wasm')).perCycleAndPatterns(tensor, options));
    if (!envelope.ok) {
      return envelope;
    }
    const { perCycle, partial } = envelope.value;
    const buffers = [...Object.values(perCycle), partial.count, partial.mean, partial.m2, partial.nan].map(
      array => array.buffer as ArrayBuffer
    );
    return transfer(envelope, buffers);
  }

  async cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions): Promise<Envelope<Float64Array>> {
    const envelope = await this.compute(async () => (await this.jobs.kernels('wasm')).cycleRmse(tensor, mean, options));
    return envelope.ok ? transfer(envelope, [envelope.value.buffer as ArrayBuffer]) : envelope;
  }

  async writeParquet(columns: TableColumns): Promise<Envelope<Uint8Array>> {
    const envelope = await this.compute(async () => {
      const wasm = await parquetWasm();
      const table = wasm.Table.fromIPCStream(arrowIPC(columns));
      const properties = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.ZSTD).build();
      return wasm.writeParquet(table, properties);
    });
    return envelope.ok ? transfer(envelope, [envelope.value.buffer as ArrayBuffer]) : envelope;
  }

  async groupStatistics(
    tensor: ICycleTensor,
    options: IKernelOptions,
    phaseCorrelations: boolean,
    parts?: StatisticsPart[]
  ): Promise<Envelope<Partial<IGroupStatistics>>> {
    return this.compute(async () => groupStatistics(tensor, options, phaseCorrelations, parts));
  }

  async chunkStatistics(tensor: ICycleTensor, phaseCorrelations: boolean): Promise<Envelope<IChunkStatistics>> {
    const envelope = await this.compute(async () => chunkStatistics(tensor, phaseCorrelations));
    if (!envelope.ok) {
      return envelope;
    }
    const { reasons, moments } = envelope.value;
    const buffers = [reasons.buffer, moments.features.buffer, ...(moments.phases ? [moments.phases.buffer] : [])] as ArrayBuffer[];
    return transfer(envelope, buffers);
  }

  async store(root: string, operation: StoreOperation): Promise<Envelope<StoreAnswer>> {
    const envelope = await this.compute<StoreAnswer>(async () => {
      if (!this.chunkFiles) {
        throw new LocolensError('io-error', 'no tensor store in this environment');
      }
      const files = this.chunkFiles(root);
      switch (operation.op) {
        case 'write':
          await files.write(operation.path, operation.data);
          return null;
        case 'read':
          return files.read(operation.path, operation.ranges);
        case 'remove':
          await files.remove(operation.path);
          return null;
        case 'list':
          return files.list(operation.path);
      }
    });
    return envelope.ok && envelope.value instanceof Uint8Array ? transfer(envelope, [envelope.value.buffer as ArrayBuffer]) : envelope;
  }

  private async compute<T>(work: () => Promise<T>): Promise<Envelope<T>> {
    try {
      return { ok: true, value: await work(), io: { bytesRead: 0, requests: 0 } };
    } catch (error) {
      return this.failure(error);
    }
  }

  async close(spec: SourceSpec): Promise<void> {
    const key = sourceKey(spec);
    const file = this.files.get(key);
    this.files.delete(key);
    if (file) {
      try {
        const open = await file;
        open.reader?.dispose();
        await open.source.close();
      } catch {
        // It failed to open: nothing to close.
      }
    }
  }

  private async reader(file: IOpenFile): Promise<ParquetColumnReader> {
    if (!file.reader) {
      file.reader = await ParquetColumnReader.open(file.source, file.info);
    }
    return file.reader;
  }

  private open(spec: SourceSpec): Promise<IOpenFile> {
    const key = sourceKey(spec);
    let file = this.files.get(key);
    if (!file) {
      file = (async () => {
        const source = await this.openSource(spec);
        try {
          return { source, info: await readParquetFooter(source) };
        } catch (error) {
          await source.close();
          throw error;
        }
      })();
      this.files.set(key, file);
      file.catch(() => this.files.delete(key));
    }
    return file;
  }

  private async call<T>(spec: SourceSpec, work: (file: IOpenFile) => Promise<T>): Promise<Envelope<T>> {
    let file: IOpenFile | undefined;
    let before = { bytesRead: 0, requests: 0 };
    try {
      // The first call on a file also counts the footer it read.
      let known = this.files.has(sourceKey(spec));
      file = await this.open(spec);
      const expected = spec.kind === 'file' ? spec.version : undefined;
      if (expected !== undefined ? file.source.version !== expected : known && (await file.source.changed?.())) {
        // Overwritten since it was opened: its footer and readers are stale.
        await this.close(spec);
        known = false;
        file = await this.open(spec);
        if (expected !== undefined && file.source.version !== expected) {
          // The run's summary is of another version of the file.
          throw fileChanged(file.source.name);
        }
      }
      if (known) {
        before = { ...file.source.stats };
      }
      const value = await work(file);
      const io = {
        bytesRead: file.source.stats.bytesRead - before.bytesRead,
        requests: file.source.stats.requests - before.requests
      };
      return { ok: true, value, io };
    } catch (error) {
      return this.failure(error);
    }
  }

  /** The envelope of an error; a wasm panic is fatal (it poisons the instance: the pool replaces this worker). */
  private failure(error: unknown): Envelope<never> {
    const fatal = error instanceof WebAssembly.RuntimeError || /unreachable|memory access out of bounds/i.test(String(error));
    if (fatal) {
      this.files.clear();
    }
    return {
      ok: false,
      code: errorCode(error) ?? 'internal',
      message: error instanceof LocolensError ? error.message : describeError(error),
      fatal
    };
  }
}

/** A column's values at some rows, as float64 (strings and missing values are NaN). */
function pickColumnRows(column: ColumnData, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length).fill(NaN);
  if (column.kind === 'codes') {
    return out;
  }
  const values = column.values;
  for (let i = 0; i < rows.length; i++) {
    out[i] = values[rows[i]];
  }
  return out;
}
