/**
 * The worker's end of a clean export: a parquet file written with the rows a plan keeps, row
 * group by row group (decode one, slice the kept row ranges, hand them to parquet-wasm's streaming
 * writer, with the source's codec), pulled by the coordinator in pieces of a few MB. Memory stays at about one decoded row
 * group plus one encoded one, whatever the file's size.
 */
import { LocolensError } from '../errors';
import type { ParquetColumnReader } from '../parquet/column-reader';
import { parquetWasm } from '../parquet/parquet-wasm';

/** What to keep of one row group: row ranges local to it. */
export interface ICleanRowGroup {
  rowGroup: number;
  keep: Array<[firstRow: number, rows: number]>;
}

/** The plan of a clean export. */
export interface ICleanPlan {
  columns: string[];
  rowGroups: ICleanRowGroup[];
  /** The written file's row-group size (rows). */
  rowGroupRows: number;
  /** The source's codec (parquet's name, e.g. SNAPPY, ZSTD); snappy, as LocoHub's cleaner, when unknown. */
  compression?: string;
}

/** The parquet-wasm codec of a codec name. */
function codecOf(wasm: Awaited<ReturnType<typeof parquetWasm>>, name: string | undefined): number {
  const codecs: Record<string, number> = {
    UNCOMPRESSED: wasm.Compression.UNCOMPRESSED,
    SNAPPY: wasm.Compression.SNAPPY,
    GZIP: wasm.Compression.GZIP,
    BROTLI: wasm.Compression.BROTLI,
    ZSTD: wasm.Compression.ZSTD,
    LZ4_RAW: wasm.Compression.LZ4_RAW
  };
  return codecs[(name ?? '').toUpperCase()] ?? wasm.Compression.SNAPPY;
}

/** Pieces handed to the coordinator are at least this large (except the last). */
const PIECE_BYTES = 4 * 1024 * 1024;

interface IOpenExport {
  output: ReadableStreamDefaultReader<Uint8Array>;
  cancelled: boolean;
}

/** A worker's clean exports in progress, by ID. */
export class CleanWriters {
  private readonly exports = new Map<string, IOpenExport>();

  /** Start export `id` of the file behind `reader`. */
  async start(id: string, reader: ParquetColumnReader, plan: ICleanPlan): Promise<void> {
    if (this.exports.has(id)) {
      throw new LocolensError('bad-argument', `clean export ${id} is already running`);
    }
    const wasm = await parquetWasm();
    let next = 0;
    const state: IOpenExport = { output: null as unknown as ReadableStreamDefaultReader<Uint8Array>, cancelled: false };
    const batches = new ReadableStream({
      pull: async controller => {
        while (next < plan.rowGroups.length && !state.cancelled) {
          const { rowGroup, keep } = plan.rowGroups[next++];
          if (!keep.length) {
            continue;
          }
          const table = await reader.readRowGroupTable(rowGroup, plan.columns);
          try {
            let offset = 0;
            for (const batch of table.recordBatches()) {
              const rows = batch.numRows;
              for (const [first, count] of keep) {
                const from = Math.max(first, offset);
                const to = Math.min(first + count, offset + rows);
                if (to > from) {
                  controller.enqueue(batch.slice(from - offset, to - from));
                }
              }
              offset += rows;
            }
          } finally {
            table.free();
          }
          return;
        }
        controller.close();
      }
    });
    const properties = new wasm.WriterPropertiesBuilder()
      .setCompression(codecOf(wasm, plan.compression))
      .setMaxRowGroupSize(Math.max(1, plan.rowGroupRows))
      .setCreatedBy('locolens clean export (parquet-wasm)')
      .build();
    const output = await wasm.transformParquetStream(batches, properties);
    state.output = output.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    this.exports.set(id, state);
  }

  /** The next piece of export `id`'s bytes, or null when it is complete (then it is forgotten). */
  async next(id: string): Promise<Uint8Array | null> {
    const state = this.exports.get(id);
    if (!state) {
      throw new LocolensError('bad-argument', `no clean export ${id} on this worker`);
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      while (size < PIECE_BYTES) {
        const { done, value } = await state.output.read();
        if (done) {
          break;
        }
        parts.push(value);
        size += value.byteLength;
      }
    } catch (error) {
      this.exports.delete(id);
      throw error;
    }
    if (!parts.length) {
      this.exports.delete(id);
      return null;
    }
    if (parts.length === 1) {
      return parts[0].slice();
    }
    const piece = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      piece.set(part, at);
      at += part.byteLength;
    }
    return piece;
  }

  /** Stop export `id` (nothing more is decoded). */
  async cancel(id: string): Promise<void> {
    const state = this.exports.get(id);
    this.exports.delete(id);
    if (state) {
      state.cancelled = true;
      await state.output.cancel().catch(() => undefined);
    }
  }
}
