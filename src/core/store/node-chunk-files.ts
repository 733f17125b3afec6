/**
 * The tensor store's files in Node: plain files under a cache folder, read by offset.
 */
import { mkdir, open, readdir, rm, stat, writeFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { LocolensError } from '../errors';
import { pathParts, type IChunkFiles, type IStoredFolder } from './chunk-files';

/** Chunk files under `root` (created on the first write). */
export class NodeChunkFiles implements IChunkFiles {
  constructor(private readonly root: string) {}

  private resolve(path: string): string {
    return join(this.root, ...pathParts(path));
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const target = this.resolve(path);
    await mkdir(dirname(target), { recursive: true });
    // Written beside and renamed: a reader never sees half a file.
    const temporary = `${target}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
    try {
      await writeFile(temporary, data);
      await rename(temporary, target);
    } catch (error) {
      // (A disk full mid-write leaves nothing behind.)
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async read(path: string, ranges: Array<[number, number]> | null): Promise<Uint8Array> {
    let handle: FileHandle;
    try {
      handle = await open(this.resolve(path), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new LocolensError('file-not-found', `${path}: not in the store`);
      }
      throw error;
    }
    try {
      const spans = ranges ?? [[0, (await handle.stat()).size]];
      const out = new Uint8Array(spans.reduce((sum, [, length]) => sum + length, 0));
      let at = 0;
      for (const [offset, length] of spans) {
        const { bytesRead } = await handle.read(out, at, length, offset);
        if (bytesRead !== length) {
          throw new Error(`${path}: short read (${bytesRead} of ${length} bytes)`);
        }
        at += length;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  async remove(path: string): Promise<void> {
    await rm(this.resolve(path), { recursive: true, force: true });
  }

  async list(path: string): Promise<IStoredFolder[]> {
    const folder = this.resolve(path);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      return [];
    }
    const out: IStoredFolder[] = [];
    for (const name of names) {
      const info = await stat(join(folder, name));
      if (!info.isDirectory()) {
        continue;
      }
      let bytes = 0;
      let modified = info.mtimeMs;
      for (const file of await readdir(join(folder, name)).catch(() => [] as string[])) {
        // (A file renamed or removed meanwhile, e.g. a temporary: skipped.)
        const fileInfo = await stat(join(folder, name, file)).catch(() => null);
        if (!fileInfo) {
          continue;
        }
        bytes += fileInfo.size;
        modified = Math.max(modified, fileInfo.mtimeMs);
      }
      out.push({ path: `${path}/${name}`, bytes, modified });
    }
    return out;
  }
}
