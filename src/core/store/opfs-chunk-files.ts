/**
 * The tensor store's files in the browser: the origin private file system (OPFS), written and
 * read through sync access handles inside a dedicated worker.
 *
 * #### Notes
 * A sync access handle locks its file; each call opens one, does its work and closes it, and a
 * call that meets another worker's lock retries briefly. Files are written once under a temporary
 * name and then moved, so a reader never sees half a chunk. Reads open their handle read-only
 * where the browser allows it (other tabs' readers of the same file then do not wait).
 *
 * A browser without OPFS (no `navigator.storage.getDirectory`) or without sync access handles
 * fails every operation with an `io-error` saying so: the store steps aside once. A file that is
 * not there is `file-not-found`.
 */
import { LocolensError } from '../errors';
import { STORE_UNAVAILABLE, pathParts, type IChunkFiles, type IStoredFolder } from './chunk-files';

interface ISyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

type SyncFileHandle = FileSystemFileHandle & {
  createSyncAccessHandle(options?: { mode?: 'readwrite' | 'read-only' }): Promise<ISyncAccessHandle>;
  move?(parent: FileSystemDirectoryHandle, name: string): Promise<void>;
};

type IterableDirectory = FileSystemDirectoryHandle & {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
};

/** Replace a file's content with `data` (`flush`: persist it before returning). */
function writeAll(access: ISyncAccessHandle, data: Uint8Array, flush = true): void {
  access.truncate(0);
  let at = 0;
  while (at < data.length) {
    at += access.write(data.subarray(at), { at });
  }
  if (flush) {
    access.flush();
  }
}

/** Chunk files in OPFS. */
export class OpfsChunkFiles implements IChunkFiles {
  /** @param root - the store's top folder in OPFS. */
  constructor(private readonly root: string) {}

  private async folder(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle> {
    if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
      throw new LocolensError('io-error', `${STORE_UNAVAILABLE}: no OPFS in this browser (navigator.storage.getDirectory)`);
    }
    let folder = await navigator.storage.getDirectory();
    for (const part of [...pathParts(this.root), ...parts]) {
      folder = await folder.getDirectoryHandle(part, { create });
    }
    return folder;
  }

  private async handle(path: string, create: boolean): Promise<SyncFileHandle> {
    const parts = pathParts(path);
    const folder = await this.folder(parts.slice(0, -1), create);
    return (await folder.getFileHandle(parts[parts.length - 1], { create })) as SyncFileHandle;
  }

  private async withAccess<T>(file: SyncFileHandle, work: (access: ISyncAccessHandle) => T, readOnly = false): Promise<T> {
    if (typeof file.createSyncAccessHandle !== 'function') {
      throw new LocolensError('io-error', `${STORE_UNAVAILABLE}: no OPFS sync access handles in this browser (createSyncAccessHandle)`);
    }
    for (let attempt = 0; ; attempt++) {
      let access: ISyncAccessHandle;
      try {
        access = await file.createSyncAccessHandle(readOnly ? { mode: 'read-only' } : undefined);
      } catch (error) {
        // Another worker holds the lock: wait a little (at most ~2 s in all).
        if ((error as DOMException)?.name === 'NoModificationAllowedError' && attempt < 40) {
          await new Promise(resolve => setTimeout(resolve, 50));
          continue;
        }
        throw error;
      }
      try {
        return work(access);
      } finally {
        access.close();
      }
    }
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const parts = pathParts(path);
    const name = parts[parts.length - 1];
    const folder = await this.folder(parts.slice(0, -1), true);
    if (name !== 'index.json') {
      // A chunk file is written in place and not flushed on its own: a folder is read only through
      // its index, which is written (through a temporary file, flushed) after every chunk.
      const file = (await folder.getFileHandle(name, { create: true })) as SyncFileHandle;
      await this.withAccess(file, access => writeAll(access, data, false));
      return;
    }
    const temporaryName = `${name}.${Math.random().toString(16).slice(2)}.tmp`;
    const temporary = (await folder.getFileHandle(temporaryName, { create: true })) as SyncFileHandle;
    await this.withAccess(temporary, access => writeAll(access, data));
    if (temporary.move) {
      await temporary.move(folder, name);
    } else {
      // Without move(): write in place (readers check the index, written last).
      await folder.removeEntry(temporaryName);
      const target = (await folder.getFileHandle(name, { create: true })) as SyncFileHandle;
      await this.withAccess(target, access => writeAll(access, data));
    }
  }

  async read(path: string, ranges: Array<[number, number]> | null): Promise<Uint8Array> {
    let file: SyncFileHandle;
    try {
      file = await this.handle(path, false);
    } catch (error) {
      const name = (error as DOMException)?.name;
      if (name === 'NotFoundError' || name === 'TypeMismatchError') {
        throw new LocolensError('file-not-found', `${path}: not in the store`);
      }
      throw error;
    }
    return this.withAccess(
      file,
      access => {
        const spans = ranges ?? [[0, access.getSize()]];
        const out = new Uint8Array(spans.reduce((sum, [, length]) => sum + length, 0));
        let at = 0;
        for (const [offset, length] of spans) {
          const read = access.read(out.subarray(at, at + length), { at: offset });
          if (read !== length) {
            throw new Error(`${path}: short read (${read} of ${length} bytes)`);
          }
          at += length;
        }
        return out;
      },
      true
    );
  }

  async remove(path: string): Promise<void> {
    const parts = pathParts(path);
    if (parts.length === 0) {
      throw new Error('refusing to remove the store root');
    }
    try {
      const parent = await this.folder(parts.slice(0, -1), false);
      await parent.removeEntry(parts[parts.length - 1], { recursive: true });
    } catch (error) {
      if ((error as DOMException)?.name !== 'NotFoundError') {
        throw error;
      }
    }
  }

  async list(path: string): Promise<IStoredFolder[]> {
    let folder: IterableDirectory;
    try {
      folder = (await this.folder(pathParts(path), false)) as IterableDirectory;
    } catch {
      return [];
    }
    const out: IStoredFolder[] = [];
    for await (const [name, entry] of folder.entries()) {
      if (entry.kind !== 'directory') {
        continue;
      }
      let bytes = 0;
      let modified = 0;
      for await (const [, file] of (entry as IterableDirectory).entries()) {
        if (file.kind === 'file') {
          const blob = await (file as FileSystemFileHandle).getFile();
          bytes += blob.size;
          modified = Math.max(modified, blob.lastModified);
        }
      }
      out.push({ path: `${path}/${name}`, bytes, modified });
    }
    return out;
  }
}
