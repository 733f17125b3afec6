/**
 * Files of the tensor store as a decode worker sees them: write a file once, read byte ranges,
 * list and remove folders. The browser's implementation is OPFS with sync access handles (they
 * exist only in dedicated workers); Node's is a cache folder on disk.
 *
 * #### Notes
 * Paths are `/`-separated and relative to the store's root, names are generated (hex and digits),
 * never taken from a file or a notebook.
 */

/** How every error of a store that cannot work in this environment begins (no OPFS, ...). */
export const STORE_UNAVAILABLE = 'the tensor store is not available here';

/** One folder of the store and its size. */
export interface IStoredFolder {
  path: string;
  bytes: number;
  /** Milliseconds since the epoch of its last write. */
  modified: number;
}

/** File operations of the tensor store, inside a worker. */
export interface IChunkFiles {
  /** Write (replace) a whole file, creating its folders. */
  write(path: string, data: Uint8Array): Promise<void>;
  /** Bytes `[offset, offset + length)` of each range, concatenated; a whole file when `ranges` is null. */
  read(path: string, ranges: Array<[offset: number, length: number]> | null): Promise<Uint8Array>;
  /** Remove a folder and everything in it (no error when absent). */
  remove(path: string): Promise<void>;
  /** The folders directly under `path`, with their sizes. */
  list(path: string): Promise<IStoredFolder[]>;
}

/** Split a store path in its parts, refusing anything but plain names. */
export function pathParts(path: string): string[] {
  const parts = path.split('/').filter(part => part.length > 0);
  for (const part of parts) {
    if (part === '.' || part === '..' || !/^[\w.-]+$/.test(part)) {
      throw new Error(`bad store path ${JSON.stringify(path)}`);
    }
  }
  return parts;
}
