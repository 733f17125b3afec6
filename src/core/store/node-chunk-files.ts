/**
 * The tensor store's files in Node: plain files under a cache folder, read by offset.
 */
import { mkdir, open, readdir, rm, stat, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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
    await writeFile(temporary, data);
    await rename(temporary, target);
  }

  async read(path: string, ranges: Array<[number, number]> | null): Promise<Uint8Array> {
    const handle = await open(this.resolve(path), 'r');
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
      for (const file of await readdir(join(folder, name))) {
        const fileInfo = await stat(join(folder, name, file));
        bytes += fileInfo.size;
        modified = Math.max(modified, fileInfo.mtimeMs);
      }
      out.push({ path: `${path}/${name}`, bytes, modified });
    }
    return out;
  }
}
