/**
 * Decoding selected columns of one row group with parquet-wasm, copied straight out of wasm memory.
 *
 * #### Notes
 * Route measured fastest here (../shared/docs/performance-notes.md): async `ParquetFile.read`
 * of one row group with `batchSize` = the group's rows, Arrow C data interface (`intoFFI`) parsed
 * by arrow-js-ffi with `copy = true` — one copy out of wasm memory, no IPC round trip. Nulls in
 * float columns become NaN (the LocoHub convention: missing values are NaN).
 */
import { clearDecodeContext, setDecodeContext } from './decode-context';
import { parseTable } from 'arrow-js-ffi';
import type { Data, Table } from 'apache-arrow';

import { LocolensError } from '../errors';
import { blobView, type IByteSource } from '../io/byte-source';
import type { ColumnData, IColumnBatch } from './column-data';
import type { IParquetFileInfo } from './footer';
import { parquetWasm } from './parquet-wasm';
import { PageCheckingSource } from './page-checks';

type WasmParquetFile = Awaited<ReturnType<Awaited<ReturnType<typeof parquetWasm>>['ParquetFile']['fromFile']>>;

/** Reads column chunks of an open file. */
export class ParquetColumnReader {
  private constructor(
    private readonly source: PageCheckingSource,
    private readonly info: IParquetFileInfo,
    private readonly file: WasmParquetFile
  ) {}

  /**
   * Open a reader over `source` (parquet-wasm reads the footer once more itself). The pages of
   * every column chunk it reads are checked on arrival (page-checks.ts).
   */
  static async open(source: IByteSource, info: IParquetFileInfo): Promise<ParquetColumnReader> {
    const wasm = await parquetWasm();
    const checked = new PageCheckingSource(source, info);
    try {
      const file = await wasm.ParquetFile.fromFile(blobView(checked));
      return new ParquetColumnReader(checked, info, file);
    } catch (error) {
      throw new LocolensError('corrupt-parquet', `${source.name}: parquet-wasm cannot open the file (${String(error)})`);
    }
  }

  /**
   * Decode `columns` of row group `rowGroup`.
   *
   * @throws LocolensError `missing-columns` for a column the file lacks; `corrupt-parquet` when
   *   a page cannot be decoded.
   */
  async readRowGroup(rowGroup: number, columns: string[]): Promise<IColumnBatch> {
    return this.withRowGroup(rowGroup, columns, true, batch => batch);
  }

  /**
   * Decode `columns` of row group `rowGroup` and hand them to `consume` as views on parquet-wasm's
   * memory (float columns without nulls are not copied out): valid only until `consume` settles,
   * when the decoded table is freed. `consume` must not call parquet-wasm meanwhile.
   */
  async consumeRowGroup<T>(rowGroup: number, columns: string[], consume: (batch: IColumnBatch) => Promise<T> | T): Promise<T> {
    return this.withRowGroup(rowGroup, columns, false, consume);
  }

  private async withRowGroup<T>(
    rowGroup: number,
    columns: string[],
    copy: boolean,
    consume: (batch: IColumnBatch) => Promise<T> | T
  ): Promise<T> {
    const group = this.info.rowGroups[rowGroup];
    if (!group) {
      throw new LocolensError('bad-argument', `${this.source.name}: no row group ${rowGroup}`);
    }
    const known = new Set(this.info.columns.map(column => column.name));
    const missing = columns.filter(name => !known.has(name));
    if (missing.length) {
      throw new LocolensError('missing-columns', `${this.source.name}: no column ${missing.map(quote).join(', ')}`);
    }
    const result: IColumnBatch = { rowGroup, firstRow: group.firstRow, numRows: group.numRows, columns: {} };
    if (columns.length === 0 || group.numRows === 0) {
      return consume(result);
    }
    const wasm = await parquetWasm();
    let table: Table;
    let ffi: ReturnType<Awaited<ReturnType<WasmParquetFile['read']>>['intoFFI']>;
    try {
      // Named for a trap that escapes (see decode-context.ts).
      this.source.clearFailure();
      setDecodeContext(this.source.name, rowGroup, columns);
      const wasmTable = await this.file.read({
        rowGroups: [rowGroup],
        columns,
        batchSize: Math.max(1, group.numRows)
      });
      clearDecodeContext();
      ffi = wasmTable.intoFFI();
      try {
        table = parseTable(wasm.wasmMemory().buffer, ffi.arrayAddrs(), ffi.schemaAddr(), copy) as unknown as Table;
      } catch (error) {
        ffi.free();
        throw error;
      }
    } catch (error) {
      clearDecodeContext();
      if (this.source.failure) {
        throw this.source.failure;
      }
      if (error instanceof LocolensError) {
        throw error;
      }
      throw new LocolensError('corrupt-parquet', `${this.source.name}: row group ${rowGroup} cannot be decoded (${describe(error)})`);
    }
    try {
      for (const name of columns) {
        const vector = table.getChild(name);
        if (!vector) {
          throw new LocolensError('missing-columns', `${this.source.name}: no column ${quote(name)}`);
        }
        result.columns[name] = toColumnData(vector.data as Data[], group.numRows, name, copy);
      }
      return await consume(result);
    } finally {
      // With copy = false, the views die here.
      ffi.free();
    }
  }

  /**
   * Decode `columns` of row group `rowGroup` as parquet-wasm's own table (every type kept, for
   * rewriting the file); the caller frees it.
   *
   * @throws LocolensError `corrupt-parquet` when a page cannot be decoded.
   */
  async readRowGroupTable(rowGroup: number, columns: string[]): Promise<Awaited<ReturnType<WasmParquetFile['read']>>> {
    const group = this.info.rowGroups[rowGroup];
    if (!group) {
      throw new LocolensError('bad-argument', `${this.source.name}: no row group ${rowGroup}`);
    }
    try {
      this.source.clearFailure();
      setDecodeContext(this.source.name, rowGroup, columns);
      return await this.file.read({ rowGroups: [rowGroup], columns, batchSize: Math.max(1, group.numRows) });
    } catch (error) {
      if (this.source.failure) {
        throw this.source.failure;
      }
      throw new LocolensError('corrupt-parquet', `${this.source.name}: row group ${rowGroup} cannot be decoded (${describe(error)})`);
    } finally {
      clearDecodeContext();
    }
  }

  /** Release the wasm-side file. */
  dispose(): void {
    this.file.free();
  }
}

function quote(name: string): string {
  return JSON.stringify(name);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Concatenate arrow chunks into one typed array per column. */
function toColumnData(chunks: Data[], numRows: number, name: string, copy = true): ColumnData {
  const type = chunks[0]?.type;
  const typeId = type ? String(type) : 'unknown';
  const float = /^Float(32|64)$/.exec(typeId);
  if (float && !copy && chunks.length === 1 && chunks[0].nullCount === 0 && chunks[0].length === numRows) {
    // A view on the decoded column: no copy.
    const values = chunks[0].values as Float32Array | Float64Array;
    return {
      kind: float[1] === '32' ? 'float32' : 'float64',
      values: values.subarray(chunks[0].offset, chunks[0].offset + numRows),
      nullCount: 0
    } as ColumnData;
  }
  if (/^Float32$/.test(typeId)) {
    return floatColumn(chunks, new Float32Array(numRows), 'float32');
  }
  if (/^Float64$/.test(typeId)) {
    return floatColumn(chunks, new Float64Array(numRows), 'float64');
  }
  if (/^(Int|Uint)(8|16|32)$/.test(typeId) || typeId === 'Bool') {
    const out = new Int32Array(numRows);
    let row = 0;
    let nulls = 0;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) {
        out[row + i] = Number(chunk.values[chunk.offset + i] ?? 0);
      }
      if (typeId === 'Bool') {
        for (let i = 0; i < chunk.length; i++) {
          const bit = chunk.offset + i;
          out[row + i] = (chunk.values[bit >> 3] >> (bit & 7)) & 1;
        }
      }
      nulls += chunk.nullCount;
      row += chunk.length;
    }
    return { kind: 'int32', values: out, nullCount: nulls };
  }
  if (/^(Int|Uint)64$/.test(typeId)) {
    const out = new Float64Array(numRows);
    let row = 0;
    let nulls = 0;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) {
        out[row + i] = isValid(chunk, i) ? Number(chunk.values[chunk.offset + i]) : NaN;
      }
      nulls += chunk.nullCount;
      row += chunk.length;
    }
    return { kind: 'float64', values: out, nullCount: nulls };
  }
  if (/^(Large)?Utf8$/.test(typeId) || /^Dictionary</.test(typeId)) {
    return stringColumn(chunks, numRows);
  }
  throw new LocolensError('unsupported-parquet', `column ${quote(name)} has an unsupported type ${typeId}`);
}

function isValid(chunk: Data, i: number): boolean {
  const bitmap = chunk.nullBitmap;
  if (!bitmap || chunk.nullCount === 0 || bitmap.length === 0) {
    return true;
  }
  const bit = chunk.offset + i;
  return ((bitmap[bit >> 3] >> (bit & 7)) & 1) === 1;
}

function floatColumn<T extends Float32Array | Float64Array>(chunks: Data[], out: T, kind: 'float32' | 'float64'): ColumnData {
  let row = 0;
  let nulls = 0;
  for (const chunk of chunks) {
    const values = chunk.values as T;
    out.set(values.subarray(chunk.offset, chunk.offset + chunk.length), row);
    if (chunk.nullCount > 0) {
      for (let i = 0; i < chunk.length; i++) {
        if (!isValid(chunk, i)) {
          out[row + i] = NaN;
        }
      }
      nulls += chunk.nullCount;
    }
    row += chunk.length;
  }
  return { kind, values: out, nullCount: nulls } as ColumnData;
}

const utf8 = new TextDecoder();

/**
 * Strings as dictionary codes. Runs of equal values (subject, task: long runs) are detected by
 * comparing bytes with the previous value, so each distinct run is decoded once.
 */
function stringColumn(chunks: Data[], numRows: number): ColumnData {
  const codes = new Int32Array(numRows);
  const dictionary: string[] = [];
  const lookup = new Map<string, number>();
  const codeOf = (text: string): number => {
    let code = lookup.get(text);
    if (code === undefined) {
      code = dictionary.length;
      dictionary.push(text);
      lookup.set(text, code);
    }
    return code;
  };
  let row = 0;
  let nulls = 0;
  for (const chunk of chunks) {
    if (chunk.dictionary) {
      const dictionaryData = chunk.dictionary.data[0] as Data;
      const local = decodeUtf8Values(dictionaryData).map(value => (value === null ? -1 : codeOf(value)));
      const indices = chunk.values as Int32Array;
      for (let i = 0; i < chunk.length; i++) {
        codes[row + i] = isValid(chunk, i) ? local[Number(indices[chunk.offset + i])] : -1;
      }
    } else {
      const offsets = chunk.valueOffsets as Int32Array;
      const bytes = chunk.values as Uint8Array;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const base = chunk.offset;
      const length = chunk.length;
      const nullable = chunk.nullCount > 0;
      let i = 0;
      while (i < length) {
        if (nullable && !isValid(chunk, i)) {
          codes[row + i] = -1;
          i++;
          continue;
        }
        const start = offsets[base + i];
        const end = offsets[base + i + 1];
        const size = end - start;
        const code = codeOf(utf8.decode(bytes.subarray(start, end)));
        // The run of rows equal to this value (subject and task come in long runs): each row's
        // bytes are compared with the run's first, and the codes filled at once.
        let j = i + 1;
        while (j < length) {
          const next = offsets[base + j];
          if (offsets[base + j + 1] - next !== size || (nullable && !isValid(chunk, j))) {
            break;
          }
          if (!equalBytes(view, bytes, next, start, size)) {
            break;
          }
          j++;
        }
        codes.fill(code, row + i, row + j);
        i = j;
      }
    }
    nulls += chunk.nullCount;
    row += chunk.length;
  }
  return { kind: 'codes', codes, dictionary, nullCount: nulls };
}

/** Whether `size` bytes at `a` and at `b` are equal (four at a time, then one by one). */
function equalBytes(view: DataView, bytes: Uint8Array, a: number, b: number, size: number): boolean {
  let k = 0;
  for (; k + 4 <= size; k += 4) {
    if (view.getUint32(a + k) !== view.getUint32(b + k)) {
      return false;
    }
  }
  for (; k < size; k++) {
    if (bytes[a + k] !== bytes[b + k]) {
      return false;
    }
  }
  return true;
}

function decodeUtf8Values(data: Data): Array<string | null> {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const out: Array<string | null> = [];
  for (let i = 0; i < data.length; i++) {
    out.push(isValid(data, i) ? utf8.decode(bytes.subarray(offsets[data.offset + i], offsets[data.offset + i + 1])) : null);
  }
  return out;
}
