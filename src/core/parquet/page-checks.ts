/**
 * The pages of every column chunk, checked as its bytes arrive and before parquet-wasm decodes
 * them: each page header must parse and its page must end inside its chunk, and where the writer
 * stored a page checksum (pyarrow's `write_page_checksum=True`: CRC32 of the page's compressed
 * bytes) it must match. A damaged page is then a `corrupt-parquet` error naming the file, row
 * group, column and page, instead of whatever the decoder makes of it (parquet-wasm does not
 * verify checksums, and a damaged header can trap it).
 *
 * #### Notes
 * No byte is read twice: the checks run on the bytes parquet-wasm asked for, when a read covers
 * whole column chunks (it reads one chunk per request).
 */
import { LocolensError } from '../errors';
import type { IByteSource } from '../io/byte-source';
import type { IParquetFileInfo } from './footer';
import { noteDecodeFailure } from './decode-context';

let table: Int32Array | null = null;

/** CRC-32 (IEEE 802.3, zlib's) of some bytes, as a signed 32-bit integer (thrift's i32). */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) {
    crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return ~crc | 0;
}

/** The fields of a page header the checks need (thrift compact protocol, the rest skipped). */
interface IPageHeader {
  /** PageType: 0 data, 1 index, 2 dictionary, 3 data v2. */
  type: number;
  compressedSize: number;
  crc?: number;
  /** Where the page's bytes start. */
  end: number;
}

/** Thrift compact protocol: a varint at `at`, and where it ends. */
function varint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length || shift > 63) {
      throw new Error('the header ends inside a number');
    }
    const byte = bytes[at++];
    result += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) {
      return [result, at];
    }
    shift += 7;
  }
}

const zigzag = (n: number): number => (n % 2 ? -(n + 1) / 2 : n / 2);

/** Skip a value of compact type `type` at `at`; returns where it ends. */
function skipValue(bytes: Uint8Array, at: number, type: number, depth: number): number {
  if (depth > 16) {
    throw new Error('the header nests too deep');
  }
  switch (type) {
    case 1:
    case 2:
      return at;
    case 3:
      return at + 1;
    case 4:
    case 5:
    case 6:
      return varint(bytes, at)[1];
    case 7:
      return at + 8;
    case 8: {
      const [length, next] = varint(bytes, at);
      return next + length;
    }
    case 9:
    case 10: {
      if (at >= bytes.length) {
        throw new Error('the header ends inside a list');
      }
      const head = bytes[at++];
      let count = head >> 4;
      if (count === 15) {
        [count, at] = varint(bytes, at);
      }
      for (let i = 0; i < count; i++) {
        at = skipValue(bytes, at, head & 0x0f, depth + 1);
      }
      return at;
    }
    case 12:
      return skipStruct(bytes, at, depth + 1);
    default:
      throw new Error(`unknown thrift type ${type}`);
  }
}

function skipStruct(bytes: Uint8Array, at: number, depth: number): number {
  for (;;) {
    if (at >= bytes.length) {
      throw new Error('the header ends inside a struct');
    }
    const head = bytes[at++];
    const type = head & 0x0f;
    if (type === 0) {
      return at;
    }
    if (!(head >> 4)) {
      at = varint(bytes, at)[1];
    }
    at = skipValue(bytes, at, type, depth);
    if (at > bytes.length) {
      throw new Error('the header ends inside a value');
    }
  }
}

/** Read a PageHeader at `at`: type, compressed size and CRC; everything else skipped. */
function readPageHeader(bytes: Uint8Array, at: number): IPageHeader {
  const header: Partial<IPageHeader> = {};
  let field = 0;
  for (;;) {
    if (at >= bytes.length) {
      throw new Error('the header ends without its last field');
    }
    const head = bytes[at++];
    const type = head & 0x0f;
    if (type === 0) {
      break;
    }
    const delta = head >> 4;
    if (delta) {
      field += delta;
    } else {
      let id;
      [id, at] = varint(bytes, at);
      field = zigzag(id);
    }
    if (type === 5 && field >= 1 && field <= 4) {
      let raw;
      [raw, at] = varint(bytes, at);
      const value = zigzag(raw);
      if (field === 1) {
        header.type = value;
      } else if (field === 3) {
        header.compressedSize = value;
      } else if (field === 4) {
        header.crc = value;
      }
    } else {
      at = skipValue(bytes, at, type, 0);
    }
  }
  if (header.type === undefined || header.compressedSize === undefined) {
    throw new Error('the header has no page type or size');
  }
  return { type: header.type, compressedSize: header.compressedSize, crc: header.crc, end: at };
}

/** Where a column chunk lies, for messages. */
export interface IChunkPlace {
  file: string;
  rowGroup: number;
  column: string;
}

/** What a chunk's pages held. */
export interface IChunkPages {
  pages: number;
  /** Pages with a checksum (all verified). */
  checksummed: number;
}

/**
 * Walk the pages of one column chunk's bytes, checking each header and stored checksum.
 *
 * @throws LocolensError `corrupt-parquet` naming the page.
 */
export function checkChunkPages(bytes: Uint8Array, place: IChunkPlace): IChunkPages {
  let dataPages = 0;
  const where = (type: number | null) =>
    `${place.file}: row group ${place.rowGroup}, column ${JSON.stringify(place.column)}, ${type === 2 ? 'the dictionary page' : `data page ${dataPages}`}`;
  let offset = 0;
  let pages = 0;
  let checksummed = 0;
  while (offset < bytes.length) {
    let header: IPageHeader;
    try {
      header = readPageHeader(bytes, offset);
    } catch (error) {
      throw new LocolensError(
        'corrupt-parquet',
        `${where(null)}: its header cannot be read (${error instanceof Error ? error.message : String(error)}); the file is damaged there`
      );
    }
    const size = header.compressedSize;
    const end = header.end + size;
    if (size < 0 || end > bytes.length || header.type < 0 || header.type > 3) {
      throw new LocolensError(
        'corrupt-parquet',
        `${where(header.type)}: its header declares ${size} bytes${end > bytes.length ? `, past the end of its column chunk (${bytes.length - header.end} left)` : ` and page type ${header.type}`}; the file is damaged there`
      );
    }
    if (header.crc !== undefined) {
      const actual = crc32(bytes.subarray(header.end, end));
      if (actual !== header.crc) {
        throw new LocolensError(
          'corrupt-parquet',
          `${where(header.type)}: checksum mismatch (the page stores CRC32 ${hex(header.crc)}, its bytes give ${hex(actual)}); the file is damaged there`
        );
      }
      checksummed++;
    }
    if (header.type !== 2) {
      dataPages++;
    }
    offset = end;
    pages++;
  }
  return { pages, checksummed };
}

/** Where each page of a column chunk's bytes starts (offsets within the chunk), for tests and tools. */
export function chunkPageOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    offsets.push(offset);
    const header = readPageHeader(bytes, offset);
    offset = header.end + header.compressedSize;
  }
  return offsets;
}

function hex(crc: number): string {
  return `0x${(crc >>> 0).toString(16).padStart(8, '0')}`;
}

/** Counters of a checking source. */
export interface IPageCheckStats {
  chunks: number;
  pages: number;
  checksummed: number;
}

/**
 * A byte source that checks the pages of every whole column chunk it serves. The first failure (a
 * damaged page, or a read that failed with a coded error) is kept in `failure` (the read also
 * fails, so parquet-wasm stops) for the reader to report.
 */
export class PageCheckingSource implements IByteSource {
  constructor(
    private readonly source: IByteSource,
    info: IParquetFileInfo
  ) {
    for (const group of info.rowGroups) {
      for (const chunk of group.chunks ?? []) {
        this.chunks.push({ ...chunk, rowGroup: group.index });
      }
    }
    this.chunks.sort((a, b) => a.start - b.start);
  }

  private readonly chunks: Array<{ column: string; start: number; size: number; rowGroup: number }> = [];
  /** The first damaged page found (cleared by `clearFailure`). */
  failure: LocolensError | null = null;
  readonly checks: IPageCheckStats = { chunks: 0, pages: 0, checksummed: 0 };

  get name(): string {
    return this.source.name;
  }
  get size(): number {
    return this.source.size;
  }
  get stats() {
    return this.source.stats;
  }

  clearFailure(): void {
    this.failure = null;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.source.read(offset, length);
    } catch (error) {
      // The decoder reports a failed read as its own error: keep ours (file-changed, io-error).
      if (error instanceof LocolensError) {
        this.failure ??= error;
        noteDecodeFailure(error.code, error.message);
      }
      throw error;
    }
    const end = offset + bytes.length;
    // The chunks that lie whole inside this read.
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.chunks[mid].start < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (let i = lo; i < this.chunks.length && this.chunks[i].start < end; i++) {
      const chunk = this.chunks[i];
      if (chunk.start + chunk.size > end) {
        continue;
      }
      try {
        const pages = checkChunkPages(bytes.subarray(chunk.start - offset, chunk.start - offset + chunk.size), {
          file: this.source.name,
          rowGroup: chunk.rowGroup,
          column: chunk.column
        });
        this.checks.chunks++;
        this.checks.pages += pages.pages;
        this.checks.checksummed += pages.checksummed;
      } catch (error) {
        const failure = error as LocolensError;
        this.failure ??= failure;
        // parquet-wasm may trap on the failed read: the worker's crash message says this instead.
        noteDecodeFailure(failure.code, failure.message);
        throw error;
      }
    }
    return bytes;
  }

  close(): Promise<void> {
    return this.source.close();
  }

  changed(): Promise<boolean> {
    return this.source.changed?.() ?? Promise.resolve(false);
  }
}
