/**
 * Decoded columns as plain typed arrays: what workers hand to kernels and to the main thread.
 */

/** One decoded column of one row group. */
export type ColumnData =
  | { kind: 'float32'; values: Float32Array; nullCount: number }
  | { kind: 'float64'; values: Float64Array; nullCount: number }
  | { kind: 'int32'; values: Int32Array; nullCount: number }
  | {
      /** Strings as codes into a dictionary; null is code -1. */
      kind: 'codes';
      codes: Int32Array;
      dictionary: string[];
      nullCount: number;
    };

/** Some decoded columns of one row group. */
export interface IColumnBatch {
  rowGroup: number;
  /** Index of the group's first row in the file. */
  firstRow: number;
  numRows: number;
  columns: Record<string, ColumnData>;
}

/** The buffers of a batch, for zero-copy transfer between threads. */
export function batchTransferables(batch: IColumnBatch): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const column of Object.values(batch.columns)) {
    const array = column.kind === 'codes' ? column.codes : column.values;
    buffers.push(array.buffer as ArrayBuffer);
  }
  return buffers;
}

/** The string value of row `row` of a codes column (null → null). */
export function codeValue(column: Extract<ColumnData, { kind: 'codes' }>, row: number): string | null {
  const code = column.codes[row];
  return code < 0 ? null : column.dictionary[code];
}
