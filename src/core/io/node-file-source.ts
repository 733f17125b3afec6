/**
 * Byte source over a local file (Node only: CLI, tests, benchmarks, worker_threads).
 */
import { open, stat, type FileHandle } from 'node:fs/promises';

import { LocolensError } from '../errors';
import type { IByteSource, IByteSourceStats } from './byte-source';
import { fileChanged } from './file-changed';

/** A local file read by offset. */
export class NodeFileSource implements IByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly handle: FileHandle,
    private readonly modified: number
  ) {}

  /** Whether the file at the path is no longer the one opened (size or modification time). */
  async changed(): Promise<boolean> {
    try {
      const info = await stat(this.name);
      return info.size !== this.size || info.mtimeMs !== this.modified;
    } catch {
      return true;
    }
  }

  readonly stats: IByteSourceStats = { bytesRead: 0, requests: 0 };

  /** Size and modification time, as opened. */
  get version(): string {
    return `${this.size}:${this.modified}`;
  }

  /** Open `path`; a missing file or a folder is a clear LocolensError. */
  static async open(path: string): Promise<NodeFileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new LocolensError('file-not-found', `${path}: no such file`);
      }
      throw new LocolensError('io-error', `${path}: cannot open (${code ?? String(error)})`);
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw new LocolensError('io-error', `${path}: not a regular file`);
    }
    return new NodeFileSource(path, info.size, handle, info.mtimeMs);
  }

  /**
   * Read `length` bytes at `offset`.
   *
   * @throws LocolensError `file-changed` when the file was overwritten in place since it was
   *   opened (its size or modification time differ): a result never mixes two versions of a file.
   *   A file replaced by a new one (a rename) keeps being read as the version opened.
   */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const now = await this.handle.stat();
    if (now.size !== this.size || now.mtimeMs !== this.modified) {
      throw fileChanged(this.name);
    }
    const end = Math.min(this.size, offset + length);
    const count = Math.max(0, end - offset);
    const buffer = new Uint8Array(count);
    let done = 0;
    while (done < count) {
      const { bytesRead } = await this.handle.read(buffer, done, count - done, offset + done);
      if (bytesRead === 0) {
        throw fileChanged(this.name);
      }
      done += bytesRead;
    }
    this.stats.bytesRead += count;
    this.stats.requests += 1;
    return buffer;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
