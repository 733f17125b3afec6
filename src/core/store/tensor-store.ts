/**
 * The decoded-tensor store: each subject×task block's cycles × 150 × features float32 tensor,
 * kept in browser storage (OPFS) or a Node cache folder, the equivalent of a memory-mapped array.
 * A reopened dataset reads the chunks of one block, or one feature of them, by offset, without
 * decoding parquet again and without holding the whole tensor in memory.
 *
 * #### Notes
 * - One folder per block, named by a hash of the file's identity (path, size, modification
 *   time, footer hash), the features, the block and the locolens version: a changed file is a
 *   different folder, never stale data.
 * - Chunks are files `c<index>.f32` in the kernels' layout (`[feature][cycle][phase]`), and
 *   `index.json` is written last: a folder without it (a cancelled or crashed run, a second tab
 *   still writing) is not used.
 * - The files live with the decode workers (sync access handles exist only in workers); this
 *   class sends them the operations. Every failure makes the store step aside (a console
 *   warning, the data decoded from parquet instead), never a wrong result.
 */
import { transfer } from 'comlink';

import { hashText } from '../hash';
import type { DecodePool } from '../worker/decode-service';
import type { StoreAnswer, StoreOperation } from '../worker/decode-service';
import { PHASES, type ICycleTensor } from '../kernels/types';
import type { IStoredFolder } from './chunk-files';

/** The index of one stored block. */
export interface IStoredBlock {
  version: 1;
  subject: string;
  task: string;
  features: string[];
  cycles: number;
  chunks: Array<{ name: string; firstCycle: number; cycles: number }>;
}

/** Counters of the store, for the panel and the gauges. */
export interface ITensorStoreStats {
  blocksRead: number;
  blocksWritten: number;
  bytesRead: number;
  bytesWritten: number;
  /** Set when the store stepped aside, with the reason. */
  disabled?: string;
}

/** A block being written: chunks first, the index last. */
export interface IBlockWriter {
  add(firstCycle: number, tensor: ICycleTensor): Promise<void>;
  /** Write the index: from now on the block is served from the store. */
  commit(): Promise<void>;
  /** Remove what was written (a cancelled run). */
  abort(): Promise<void>;
}

/** The tensor store of one environment. */
export class TensorStore {
  /**
   * @param pool - the decode workers, which own the files.
   * @param root - the store's top folder (an OPFS folder name, or a Node folder path).
   * @param version - the locolens version, part of every folder's name.
   * @param maxBytes - the size cap; least recently used blocks go first, down to 80 % of it.
   */
  constructor(
    readonly pool: DecodePool,
    readonly root: string,
    private readonly version: string,
    public maxBytes = 2 * 1024 ** 3
  ) {}

  readonly stats: ITensorStoreStats = { blocksRead: 0, blocksWritten: 0, bytesRead: 0, bytesWritten: 0 };

  /** The folder of a block. */
  blockFolder(identity: string, features: string[], subject: string, task: string): string {
    return `b${hashText(JSON.stringify([this.version, identity, features, subject, task]))}`;
  }

  /** The index of a stored block, or null when absent, incomplete or unreadable. */
  async index(folder: string, features: string[]): Promise<IStoredBlock | null> {
    // One read (no separate existence check): a missing index is a block not stored.
    let bytes: StoreAnswer;
    try {
      bytes = await this.call({ op: 'read', path: `${folder}/index.json`, ranges: null });
    } catch {
      return null;
    }
    try {
      const index = JSON.parse(new TextDecoder().decode(bytes as Uint8Array)) as IStoredBlock;
      const chunkCycles = index.chunks.reduce((sum, chunk) => sum + chunk.cycles, 0);
      if (index.version !== 1 || JSON.stringify(index.features) !== JSON.stringify(features) || chunkCycles !== index.cycles) {
        throw new Error('index does not match');
      }
      // A use counts as recent (eviction goes by last use, not by last write): a small marker file.
      void this.call({ op: 'write', path: `${folder}/used`, data: new TextEncoder().encode(String(Date.now())) }).catch(() => undefined);
      return index;
    } catch (error) {
      console.warn(`locolens: stored tensor ${folder} is corrupted (${String(error)}); it is removed and decoded again`);
      await this.call({ op: 'remove', path: folder }).catch(() => undefined);
      return null;
    }
  }

  /**
   * A chunk of a stored block: every feature, or only `featureIndices` (in that order), read by
   * offset. A chunk file of the wrong size is an error (the caller decodes parquet instead).
   */
  async readChunk(folder: string, index: IStoredBlock, chunk: number, featureIndices?: number[]): Promise<ICycleTensor> {
    const { name, cycles } = index.chunks[chunk];
    const slab = cycles * PHASES * 4;
    const wanted = featureIndices ?? index.features.map((_, f) => f);
    const ranges = wanted.map(f => [f * slab, slab] as [number, number]);
    const bytes = (await this.call({ op: 'read', path: `${folder}/${name}`, ranges })) as Uint8Array;
    if (bytes.byteLength !== wanted.length * slab) {
      throw new Error(`${folder}/${name}: ${bytes.byteLength} bytes, expected ${wanted.length * slab}`);
    }
    this.stats.bytesRead += bytes.byteLength;
    return {
      features: wanted.map(f => index.features[f]),
      cycles,
      data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
    };
  }

  /** Start writing a block (its chunks in order, then `commit`). */
  writer(folder: string, subject: string, task: string, features: string[], cycles: number): IBlockWriter {
    const chunks: IStoredBlock['chunks'] = [];
    let failed = false;
    return {
      add: async (firstCycle, tensor) => {
        if (failed || this.stats.disabled) {
          failed = true;
          return;
        }
        const name = `c${chunks.length}.f32`;
        const copy = new Uint8Array(tensor.data.buffer.slice(tensor.data.byteOffset, tensor.data.byteOffset + tensor.data.byteLength));
        try {
          await this.call({ op: 'write', path: `${folder}/${name}`, data: copy }, [copy.buffer]);
          chunks.push({ name, firstCycle, cycles: tensor.cycles });
          this.stats.bytesWritten += copy.byteLength;
        } catch (error) {
          failed = true;
          this.stepAside(error);
        }
      },
      commit: async () => {
        if (failed || chunks.reduce((sum, chunk) => sum + chunk.cycles, 0) !== cycles) {
          await this.call({ op: 'remove', path: folder }).catch(() => undefined);
          return;
        }
        const index: IStoredBlock = { version: 1, subject, task, features, cycles, chunks };
        try {
          await this.call({ op: 'write', path: `${folder}/index.json`, data: new TextEncoder().encode(JSON.stringify(index)) });
          this.stats.blocksWritten += 1;
        } catch (error) {
          this.stepAside(error);
        }
      },
      abort: async () => {
        await this.call({ op: 'remove', path: folder }).catch(() => undefined);
      }
    };
  }

  /**
   * Write a block's index (its chunk files were written by the workers): from now on the block
   * is served from the store. A failure makes the store step aside and removes the folder.
   */
  async writeIndex(folder: string, index: IStoredBlock): Promise<void> {
    try {
      await this.call({ op: 'write', path: `${folder}/index.json`, data: new TextEncoder().encode(JSON.stringify(index)) });
      this.stats.blocksWritten += 1;
      this.stats.bytesWritten += index.features.length * index.cycles * PHASES * 4;
    } catch (error) {
      this.stepAside(error);
      await this.call({ op: 'remove', path: folder }).catch(() => undefined);
    }
  }

  /** Remove one block. */
  async remove(folder: string): Promise<void> {
    await this.call({ op: 'remove', path: folder });
  }

  /** The stored blocks with their sizes. */
  async folders(): Promise<IStoredFolder[]> {
    return (await this.call({ op: 'list', path: '' })) as IStoredFolder[];
  }

  /** Total bytes stored. */
  async size(): Promise<{ blocks: number; bytes: number }> {
    const folders = await this.folders();
    return { blocks: folders.length, bytes: folders.reduce((sum, folder) => sum + folder.bytes, 0) };
  }

  /**
   * Over the cap, remove the least recently used blocks (read or written) down to 80 % of it, as
   * the result cache does (never `keep`).
   */
  async evict(keep: Set<string> = new Set()): Promise<number> {
    const folders = (await this.folders()).sort((a, b) => a.modified - b.modified);
    let total = folders.reduce((sum, folder) => sum + folder.bytes, 0);
    let removed = 0;
    if (total <= this.maxBytes) {
      return 0;
    }
    for (const folder of folders) {
      if (total <= 0.8 * this.maxBytes) {
        break;
      }
      const name = folder.path.split('/').pop()!;
      if (keep.has(name)) {
        continue;
      }
      await this.call({ op: 'remove', path: name });
      total -= folder.bytes;
      removed += 1;
    }
    return removed;
  }

  /** Remove every stored block. */
  async clear(): Promise<void> {
    for (const folder of await this.folders()) {
      await this.call({ op: 'remove', path: folder.path.split('/').pop()! });
    }
  }

  /** Stop using the store for this session, with one warning. */
  stepAside(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (!this.stats.disabled) {
      console.warn(`locolens: the tensor store steps aside (${reason}); data is decoded from parquet`);
    }
    this.stats.disabled = reason;
  }

  private async call(operation: StoreOperation, transferables: ArrayBuffer[] = []): Promise<StoreAnswer> {
    const { value } = await this.pool.run(api =>
      api.store(this.root, transferables.length ? transfer(operation, transferables) : operation)
    );
    return value;
  }
}
