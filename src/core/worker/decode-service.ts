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

import { LocolensError, describeError, errorCode, type LocolensErrorCode } from '../errors';
import { sourceKey, type IByteSource, type SourceSpec } from '../io/byte-source';
import { batchTransferables, type IColumnBatch } from '../parquet/column-data';
import { ParquetColumnReader } from '../parquet/column-reader';
import { readParquetFooter, type IParquetFileInfo } from '../parquet/footer';
import { keyRunsOfBatch, type IKeyColumns, type IKeyRunsPartial } from '../dataset/key-runs';

/** Bytes and requests one call read from its source. */
export interface IIoCount {
  bytesRead: number;
  requests: number;
}

/** A result or an error, as sent between threads. */
export type Envelope<T> = { ok: true; value: T; io: IIoCount } | { ok: false; code: LocolensErrorCode | 'internal'; message: string; fatal: boolean };

/** The API a decode worker exposes. */
export interface IDecodeService {
  footer(spec: SourceSpec): Promise<Envelope<IParquetFileInfo>>;
  keyRuns(spec: SourceSpec, rowGroups: number[], keys: IKeyColumns): Promise<Envelope<IKeyRunsPartial[]>>;
  readColumns(spec: SourceSpec, rowGroup: number, columns: string[]): Promise<Envelope<IColumnBatch>>;
  countMissing(spec: SourceSpec, rowGroups: number[], columns: string[]): Promise<Envelope<Record<string, number>>>;
  close(spec: SourceSpec): Promise<void>;
}

interface IOpenFile {
  source: IByteSource;
  info: IParquetFileInfo;
  reader?: ParquetColumnReader;
}

/** The decode worker's implementation. */
export class DecodeService implements IDecodeService {
  constructor(private readonly openSource: (spec: SourceSpec) => Promise<IByteSource>) {}

  private readonly files = new Map<string, Promise<IOpenFile>>();

  footer(spec: SourceSpec): Promise<Envelope<IParquetFileInfo>> {
    return this.call(spec, async file => file.info);
  }

  keyRuns(spec: SourceSpec, rowGroups: number[], keys: IKeyColumns): Promise<Envelope<IKeyRunsPartial[]>> {
    const columns = [keys.subject, keys.task, keys.taskId, keys.phase].filter((name): name is string => !!name);
    return this.call(spec, async file => {
      const partials: IKeyRunsPartial[] = [];
      for (const rowGroup of rowGroups) {
        const batch = await (await this.reader(file)).readRowGroup(rowGroup, columns);
        partials.push(keyRunsOfBatch(batch, keys));
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
      const known = this.files.has(sourceKey(spec));
      file = await this.open(spec);
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
      const fatal = error instanceof WebAssembly.RuntimeError || /unreachable|memory access out of bounds/i.test(String(error));
      if (fatal) {
        // A wasm panic poisons the instance: the pool replaces this worker.
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
}
