/**
 * Tables of named columns and their Arrow form (IPC streams: what pyarrow reads, and what
 * parquet-wasm writes parquet from).
 */
import { Bool, Table, Utf8, makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';

/** Named columns: float64, int32, boolean or string values, all of one length. */
export type TableColumns = Record<string, Float64Array | Int32Array | boolean[] | string[]>;

/** A table as an Arrow table: float64, int32, bool and (plain, not dictionary) utf8 columns. */
export function arrowTable(columns: TableColumns): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, values] of Object.entries(columns)) {
    if (values instanceof Float64Array || values instanceof Int32Array) {
      vectors[name] = makeVector(values);
    } else if (values.length && typeof values[0] === 'boolean') {
      vectors[name] = vectorFromArray(values as boolean[], new Bool());
    } else {
      vectors[name] = vectorFromArray(values as string[], new Utf8());
    }
  }
  return new Table(vectors);
}

/** A table as an Arrow IPC stream (what pyarrow.ipc.open_stream reads). */
export function arrowIPC(columns: TableColumns): Uint8Array {
  return tableToIPC(arrowTable(columns), 'stream');
}
