/**
 * Byte access for parquet files: one interface, a Node file and an HTTP Range implementation.
 *
 * Nothing above this layer knows where bytes come from. Every source counts the bytes and
 * requests it served, so tests and gauges can prove that a summary reads a small part of a file.
 */

/** Counters kept by every byte source. */
export interface IByteSourceStats {
  /** Bytes returned by `read`. */
  bytesRead: number;
  /** Number of `read` calls. */
  requests: number;
}

/** Random access to the bytes of one file. */
export interface IByteSource {
  /** A name for messages (file path or URL path). */
  readonly name: string;
  /** Size of the file in bytes. */
  readonly size: number;
  /** Counters of what was read so far. */
  readonly stats: IByteSourceStats;
  /**
   * Read `length` bytes at `offset`.
   *
   * #### Notes
   * Reads past the end are clipped; the result may be shorter than asked only at the end.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Release the file handle or connection. */
  close(): Promise<void>;
  /** Whether the file changed since it was opened (where the source can tell cheaply). */
  changed?(): Promise<boolean>;
  /** The version of the file opened (a local file's size and modification time), where known. */
  readonly version?: string;
}

/** Where a worker finds a file: enough to open an IByteSource in any thread. */
export type SourceSpec =
  | {
      kind: 'file';
      path: string;
      /** The version the run expects (from its summary): another one is a `file-changed` error. */
      version?: string;
    }
  | {
      kind: 'http';
      /** Absolute URL of the raw bytes, e.g. `<base>/files/<path>`. */
      url: string;
      /** Path shown in messages. */
      name: string;
      /** File size if already known (Contents API), saving a request. */
      size?: number;
      /** Extra request headers, e.g. `Authorization: token …`. */
      headers?: Record<string, string>;
      /** The file's version (e.g. last_modified): a changed file is a different source. */
      version?: string;
      /** A small file's bytes, read whole with its footer: the reader makes no request. */
      prefetched?: Uint8Array;
    };

/** A stable key for a SourceSpec (for caching open files in a worker). */
export function sourceKey(spec: SourceSpec): string {
  return spec.kind === 'file' ? `file:${spec.path}` : `http:${spec.url}@${spec.version ?? ''}:${spec.size ?? ''}`;
}

/**
 * A spec pinned to the version of the file a summary was read from, so that a run never reads two
 * versions of a file (an HTTP spec carries its version already).
 */
export function pinnedSpec(spec: SourceSpec, version: string | undefined): SourceSpec {
  return spec.kind === 'file' && version !== undefined ? { ...spec, version } : spec;
}

/** The display name of a SourceSpec. */
export function sourceName(spec: SourceSpec): string {
  return spec.kind === 'file' ? spec.path : spec.name;
}

/**
 * A view of a byte source with the shape of a DOM `Blob` as parquet-wasm's
 * `ParquetFile.fromFile` uses it (`size`, `slice(start, end).arrayBuffer()`).
 *
 * #### Notes
 * parquet-wasm reads the footer and then only the column chunks of the row groups and
 * columns asked for, through this view, so projection happens at the byte level.
 */
export function blobView(source: IByteSource): Blob {
  const view = {
    size: source.size,
    type: '',
    slice(start = 0, end = source.size) {
      const from = Math.max(0, start);
      const to = Math.min(source.size, end);
      return {
        size: Math.max(0, to - from),
        type: '',
        arrayBuffer: async () => toArrayBuffer(await source.read(from, to - from))
      };
    }
  };
  return view as unknown as Blob;
}

/**
 * A view of a byte source in hyparquet's `AsyncBuffer` shape (footer parsing).
 */
export function asyncBufferView(source: IByteSource): {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
} {
  return {
    byteLength: source.size,
    slice: async (start: number, end?: number) => {
      const to = end === undefined ? source.size : Math.min(end, source.size);
      return toArrayBuffer(await source.read(start, Math.max(0, to - start)));
    }
  };
}

/** An ArrayBuffer holding exactly the bytes of `bytes` (no copy when it already does). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes.buffer as ArrayBuffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}
