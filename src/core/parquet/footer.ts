/**
 * The parquet footer, read without decoding any data: schema, row groups, codecs, statistics.
 *
 * #### Notes
 * hyparquet parses the thrift footer in plain JS (a few kB read at the end of the file);
 * parquet-wasm's metadata API does not expose column statistics (null counts), which the
 * conformance report needs.
 */
import { hashText } from '../hash';
import { parquetMetadataAsync, type FileMetaData, type SchemaElement } from 'hyparquet';

import { LocolensError } from '../errors';
import { asyncBufferView, type IByteSource } from '../io/byte-source';

/** How many bytes at the end of the file the first footer read fetches. */
export const FOOTER_INITIAL_READ = 64 * 1024;

/** A column of the file as a person reads it. */
export interface IColumnInfo {
  name: string;
  /** Parquet physical type, e.g. DOUBLE, BYTE_ARRAY. */
  physicalType: string;
  /** Friendly type: float32, float64, int32, int64, string, bool, other. */
  type: ColumnType;
  /** Whether the column may hold nulls. */
  nullable: boolean;
  /** Nulls over all row groups (from statistics; undefined when a row group has none). */
  nullCount?: number;
  /** Compressed bytes over all row groups. */
  compressedBytes: number;
  /** Uncompressed bytes over all row groups. */
  uncompressedBytes: number;
  /** Codecs used by its column chunks. */
  codecs: string[];
  /** Whether a dictionary encoding is used by any chunk. */
  dictionaryEncoded: boolean;
}

/** Friendly column types. */
export type ColumnType = 'float32' | 'float64' | 'int32' | 'int64' | 'string' | 'bool' | 'other';

/** A row group of the file. */
export interface IRowGroupInfo {
  index: number;
  numRows: number;
  /** First row of the group in the file. */
  firstRow: number;
  compressedBytes: number;
  /** Where each column chunk lies (first page, compressed size), for the page checks. */
  chunks?: Array<{ column: string; start: number; size: number }>;
}

/** Everything the footer tells about a file. */
export interface IParquetFileInfo {
  name: string;
  sizeBytes: number;
  numRows: number;
  createdBy?: string;
  columns: IColumnInfo[];
  rowGroups: IRowGroupInfo[];
  /** Distinct codecs used over the file. */
  compression: string[];
  /** Key/value metadata (e.g. pandas or locolens generator metadata), values truncated. */
  keyValue: Record<string, string>;
  /** Footer length in bytes (thrift + 8). */
  footerBytes: number;
  /** A hash of the footer's content (schema, row groups, column chunk offsets and sizes). */
  footerHash: string;
  /** The version of the file read (a local file's size and modification time), where known. */
  version?: string;
}

/**
 * Read and check the footer of a parquet file.
 *
 * @throws LocolensError `empty-file`, `not-parquet`, `corrupt-parquet` or `unsupported-parquet`.
 */
export async function readParquetFooter(source: IByteSource): Promise<IParquetFileInfo> {
  if (source.size === 0) {
    throw new LocolensError('empty-file', `${source.name}: the file is empty (0 bytes)`);
  }
  if (source.size < 12) {
    throw new LocolensError('not-parquet', `${source.name}: not a parquet file (only ${source.size} bytes)`);
  }
  const head = await source.read(0, 4);
  if (!isMagic(head)) {
    throw new LocolensError('not-parquet', `${source.name}: not a parquet file (no PAR1 header)`);
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(asyncBufferView(source), {
      initialFetchSize: Math.min(FOOTER_INITIAL_READ, source.size)
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/footer != PAR1/.test(text)) {
      throw new LocolensError('corrupt-parquet', `${source.name}: the parquet footer is missing; the file is truncated or damaged`);
    }
    throw new LocolensError('corrupt-parquet', `${source.name}: the parquet footer cannot be read (${text})`);
  }
  return describeFooter(source, metadata);
}

/** More rows than any row group of a real file declares (2^40): a damaged footer. */
const MAX_ROWS = 2 ** 40;

function isMagic(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

function describeFooter(source: IByteSource, metadata: FileMetaData): IParquetFileInfo {
  const leaves = metadata.schema.slice(1);
  if (leaves.some(element => (element.num_children ?? 0) > 0)) {
    throw new LocolensError(
      'unsupported-parquet',
      `${source.name}: nested columns are not part of the locomotion standard (flat columns expected)`
    );
  }
  const columns: IColumnInfo[] = leaves.map(element => ({
    name: element.name,
    physicalType: element.type ?? 'GROUP',
    type: friendlyType(element),
    nullable: element.repetition_type !== 'REQUIRED',
    compressedBytes: 0,
    uncompressedBytes: 0,
    codecs: [],
    dictionaryEncoded: false,
    nullCount: 0
  }));
  const byName = new Map(columns.map(column => [column.name, column]));
  const rowGroups: IRowGroupInfo[] = [];
  let firstRow = 0;
  // Declared sizes are checked against the file before anything is read or allocated: a damaged
  // footer (or a file cut in its middle) must not send a decoder past the end.
  const dataEnd = source.size - (metadata.metadata_length + 8);
  metadata.row_groups.forEach((group, index) => {
    const numRows = Number(group.num_rows);
    if (!Number.isSafeInteger(numRows) || numRows < 0 || numRows > MAX_ROWS) {
      throw new LocolensError(
        'corrupt-parquet',
        `${source.name}: row group ${index} declares ${String(group.num_rows)} rows; the footer is damaged`
      );
    }
    let compressed = 0;
    const chunks: NonNullable<IRowGroupInfo['chunks']> = [];
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) {
        continue;
      }
      const column = byName.get(meta.path_in_schema.join('.'));
      const name = JSON.stringify(meta.path_in_schema.join('.'));
      // Flat columns: every chunk holds one value (or null) per row of its row group, of the
      // schema's type. A chunk that says otherwise would send a decoder after rows or a type the
      // file does not have.
      if (Number(meta.num_values) !== numRows) {
        throw new LocolensError(
          'corrupt-parquet',
          `${source.name}: row group ${index} declares ${numRows} rows, but its column ${name} holds ${String(meta.num_values)} values; the footer is damaged`
        );
      }
      if (column && meta.type !== column.physicalType) {
        throw new LocolensError(
          'corrupt-parquet',
          `${source.name}: column ${name} is ${column.physicalType} in the schema but ${String(meta.type)} in row group ${index}; the footer is damaged`
        );
      }
      const size = Number(meta.total_compressed_size);
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      if (!(size >= 0) || !(start >= 4) || start + size > dataEnd) {
        throw new LocolensError(
          'corrupt-parquet',
          `${source.name}: column ${JSON.stringify(meta.path_in_schema.join('.'))} of row group ${index} declares bytes ${start}–${start + size}, past the ${dataEnd} bytes of data the file holds; the file is truncated or damaged`
        );
      }
      compressed += size;
      chunks.push({ column: meta.path_in_schema.join('.'), start, size });
      if (!column) {
        continue;
      }
      column.compressedBytes += size;
      column.uncompressedBytes += Number(meta.total_uncompressed_size);
      if (!column.codecs.includes(meta.codec)) {
        column.codecs.push(meta.codec);
      }
      if (meta.dictionary_page_offset !== undefined || meta.encodings.includes('RLE_DICTIONARY')) {
        column.dictionaryEncoded = true;
      }
      const nulls = meta.statistics?.null_count;
      if (nulls === undefined || column.nullCount === undefined) {
        column.nullCount = undefined;
      } else {
        column.nullCount += Number(nulls);
      }
    }
    if (chunks.length !== columns.length) {
      throw new LocolensError(
        'corrupt-parquet',
        `${source.name}: row group ${index} has ${chunks.length} column chunks for the ${columns.length} columns of the schema; the footer is damaged`
      );
    }
    rowGroups.push({ index, numRows, firstRow, compressedBytes: compressed, chunks });
    firstRow += numRows;
  });
  if (Number(metadata.num_rows) !== firstRow) {
    throw new LocolensError(
      'corrupt-parquet',
      `${source.name}: the file declares ${String(metadata.num_rows)} rows but its row groups hold ${firstRow}; the footer is damaged`
    );
  }
  const compression = [...new Set(columns.flatMap(column => column.codecs))].sort();
  const keyValue: Record<string, string> = {};
  for (const entry of metadata.key_value_metadata ?? []) {
    if (entry.key === 'ARROW:schema') {
      continue;
    }
    keyValue[entry.key] = (entry.value ?? '').slice(0, 2000);
  }
  return {
    name: source.name,
    sizeBytes: source.size,
    numRows: Number(metadata.num_rows),
    createdBy: metadata.created_by,
    columns,
    rowGroups,
    compression,
    keyValue,
    footerBytes: metadata.metadata_length + 8,
    footerHash: hashFooter(metadata),
    version: source.version
  };
}

/** A hash of the footer's identifying content. */
function hashFooter(metadata: FileMetaData): string {
  const text = JSON.stringify(
    [
      metadata.num_rows,
      metadata.created_by,
      metadata.schema.map(element => [element.name, element.type, element.repetition_type]),
      metadata.row_groups.map(group => [
        group.num_rows,
        group.columns.map(chunk => [chunk.file_offset, chunk.meta_data?.total_compressed_size, chunk.meta_data?.data_page_offset])
      ]),
      (metadata.key_value_metadata ?? []).map(entry => [entry.key, entry.value])
    ],
    (_, value) => (typeof value === 'bigint' ? value.toString() : value)
  );
  return hashText(text);
}

function friendlyType(element: SchemaElement): ColumnType {
  switch (element.type) {
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
    case 'INT32':
      return 'int32';
    case 'INT64':
      return 'int64';
    case 'BOOLEAN':
      return 'bool';
    case 'BYTE_ARRAY':
      return element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING' ? 'string' : 'other';
    default:
      return 'other';
  }
}
