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
 * - Two tabs share the origin's OPFS: a block is written under an exclusive Web Lock on its
 *   folder (`claim`) and read under a shared one (`openBlocks`), each waited for a moment only
 *   (a block another tab is writing is decoded from parquet here, not written, not read), so no
 *   folder is written twice at once, rewritten while read, or removed (eviction, _Clear cache_)
 *   while in use.
 */
import { transfer } from 'comlink';

import { describeError, errorCode } from '../errors';
import { hashText } from '../hash';
import type { DecodePool } from '../worker/decode-service';
import type { StoreAnswer, StoreOperation } from '../worker/decode-service';
import { PHASES, type ICycleTensor } from '../kernels/types';
import { STORE_UNAVAILABLE, type IStoredFolder } from './chunk-files';
import { defaultLocks, holdLock, type ILockManager } from './locks';

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

/** A block's folder held for writing (an exclusive lock): chunks first, the index last. */
export interface IBlockClaim {
  /** The folder to write into. */
  folder: string;
  /** A private folder of this run (a spill), never indexed: removed at the end. */
  private: boolean;
  /** Write the index, then release the folder: from now on the block is served from the store. */
  commit(index: IStoredBlock): Promise<void>;
  /** Remove what was written, then release the folder. */
  remove(): Promise<void>;
  /** Release the folder (idempotent). */
  release(): void;
}

/** Stored blocks held for reading (shared locks): nobody writes or removes them until `release`. */
export interface IStoreReading {
  blocks: Array<{ folder: string; index: IStoredBlock }>;
  /** Release the folders (once this reading's use markers are written). */
  release(): Promise<void>;
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
    public maxBytes = 2 * 1024 ** 3,
    readonly locks: ILockManager = defaultLocks()
  ) {}

  /** The Web Lock of a folder (the root names the store: two stores of one origin share it). */
  private lockName(folder: string): string {
    return `locolens-store:${this.root}/${folder}`;
  }

  /** How long a lock is waited for before the folder counts as held elsewhere (ms). */
  static lockWaitMs = 250;

  /**
   * A folder's lock, waited for briefly (a lock just released, by this tab too, is granted a
   * moment later), or null when another tab holds it longer (it is then left alone).
   */
  private async hold(folder: string, mode: 'shared' | 'exclusive'): Promise<(() => void) | null> {
    const signal = AbortSignal.timeout(TensorStore.lockWaitMs);
    try {
      return await holdLock(this.locks, this.lockName(folder), { mode, signal });
    } catch (error) {
      if (signal.aborted) {
        return null;
      }
      throw error;
    }
  }

  readonly stats: ITensorStoreStats = { blocksRead: 0, blocksWritten: 0, bytesRead: 0, bytesWritten: 0 };

  /** The folder of a block. */
  blockFolder(identity: string, features: string[], subject: string, task: string): string {
    return `b${hashText(JSON.stringify([this.version, identity, features, subject, task]))}`;
  }

  /**
   * The index of a block: 'absent' when there is none, 'corrupt' when it cannot be parsed or does
   * not match (a warning), 'unreadable' when reading it failed otherwise (then nothing is assumed).
   */
  private async readIndex(
    folder: string,
    features: string[] | null,
    markers?: Array<Promise<unknown>>
  ): Promise<IStoredBlock | 'absent' | 'unreadable' | 'corrupt'> {
    // One read (no separate existence check): a missing index is a block not stored.
    let bytes: StoreAnswer;
    try {
      bytes = await this.call({ op: 'read', path: `${folder}/index.json`, ranges: null });
    } catch (error) {
      if (errorCode(error) === 'file-not-found') {
        return 'absent';
      }
      // A store that cannot work here (no OPFS) steps aside.
      if (describeError(error).startsWith(STORE_UNAVAILABLE)) {
        this.stepAside(error);
      }
      return 'unreadable';
    }
    try {
      const index = JSON.parse(new TextDecoder().decode(bytes as Uint8Array)) as IStoredBlock;
      const chunkCycles = index.chunks.reduce((sum, chunk) => sum + chunk.cycles, 0);
      if (
        index.version !== 1 ||
        (features && JSON.stringify(index.features) !== JSON.stringify(features)) ||
        chunkCycles !== index.cycles
      ) {
        throw new Error('index does not match');
      }
      if (!features) {
        return index;
      }
      // A use counts as recent (eviction goes by last use, not by last write): a small marker file.
      // (Written while the block is read; a holder releases the folder only once it is done, so it
      // never lands in a folder removed meanwhile.)
      const marker = this.call({ op: 'write', path: `${folder}/used`, data: new TextEncoder().encode(String(Date.now())) }).catch(
        () => undefined
      );
      markers?.push(marker);
      return index;
    } catch (error) {
      console.warn(`locolens: stored tensor ${folder} is corrupted (${String(error)}); it is removed and decoded again`);
      return 'corrupt';
    }
  }

  /**
   * Hold blocks for reading: a shared lock on each folder, then its index.
   *
   * @returns null when a block is not (completely) stored, or another tab is writing or removing
   *   it (its data then comes from parquet); a corrupted block is removed.
   */
  async openBlocks(folders: string[], features: string[]): Promise<IStoreReading | null> {
    const releases: Array<(() => void) | null> = [];
    const markers: Array<Promise<unknown>> = [];
    const release = async () => {
      await Promise.allSettled(markers);
      releases.forEach(free => free?.());
    };
    try {
      releases.push(...(await Promise.all(folders.map(folder => this.hold(folder, 'shared')))));
      if (releases.some(free => !free)) {
        await release();
        return null;
      }
      const indices = await Promise.all(folders.map(folder => this.readIndex(folder, features, markers)));
      if (indices.every(index => typeof index === 'object')) {
        return { blocks: folders.map((folder, b) => ({ folder, index: indices[b] as IStoredBlock })), release };
      }
      await release();
      await Promise.all(folders.filter((_, b) => indices[b] === 'corrupt').map(folder => this.remove(folder).catch(() => undefined)));
      return null;
    } catch (error) {
      await release();
      throw error;
    }
  }

  /**
   * Hold a block's folder for writing: an exclusive lock, waited for a moment only. The folder starts
   * empty (what a crashed or cancelled writer left is removed).
   *
   * @param options.private - a folder of this run only (`<folder>-<random>`), for a spill that
   *   cannot go to the block's folder; it is never indexed.
   * @returns null when another writer or a reader holds the folder, or the block is stored
   *   already: it is then not written here.
   */
  async claim(folder: string, options: { private?: boolean } = {}): Promise<IBlockClaim | null> {
    const name = options.private ? `${folder}-${Math.random().toString(16).slice(2, 10)}` : folder;
    const free = await this.hold(name, 'exclusive');
    if (!free) {
      return null;
    }
    try {
      if (!options.private) {
        // (Any readable index, whatever its features: the folder's name carries them.) Only a
        // folder without one, or with a corrupted one, is (emptied and) written.
        const index = await this.readIndex(name, null);
        if (index !== 'absent' && index !== 'corrupt') {
          free();
          return null;
        }
        await this.call({ op: 'remove', path: name });
      }
    } catch (error) {
      free();
      this.stepAside(error);
      return null;
    }
    return {
      folder: name,
      private: !!options.private,
      commit: async index => {
        try {
          await this.writeIndex(name, index);
        } finally {
          free();
        }
      },
      remove: async () => {
        try {
          await this.call({ op: 'remove', path: name }).catch(() => undefined);
        } finally {
          free();
        }
      },
      release: free
    };
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

  /**
   * Start writing a block (its chunks in order, then `commit`). The folder is claimed at the
   * first chunk: when another tab holds it, or the block is stored already, nothing is written.
   */
  writer(folder: string, subject: string, task: string, features: string[], cycles: number): IBlockWriter {
    const chunks: IStoredBlock['chunks'] = [];
    let failed = false;
    let claim: Promise<IBlockClaim | null> | null = null;
    return {
      add: async (firstCycle, tensor) => {
        if (failed || this.stats.disabled) {
          failed = true;
          return;
        }
        claim ??= this.claim(folder);
        if (!(await claim)) {
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
        const held = await claim;
        if (!held) {
          return;
        }
        if (failed || chunks.reduce((sum, chunk) => sum + chunk.cycles, 0) !== cycles) {
          await held.remove();
          return;
        }
        await held.commit({ version: 1, subject, task, features, cycles, chunks });
      },
      abort: async () => {
        await (await claim)?.remove();
      }
    };
  }

  /**
   * Write a block's index (its chunk files were written by the workers, under a `claim` of its
   * folder): from now on the block is served from the store. A failure makes the store step
   * aside and removes the folder.
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

  /**
   * Remove one block, unless another tab (or run) holds it: a block being read or written is
   * left alone.
   *
   * @returns whether it was removed.
   */
  async remove(folder: string): Promise<boolean> {
    const free = await this.hold(folder, 'exclusive');
    if (!free) {
      return false;
    }
    try {
      await this.call({ op: 'remove', path: folder });
      return true;
    } finally {
      free();
    }
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
      if (await this.remove(name)) {
        total -= folder.bytes;
        removed += 1;
      }
    }
    return removed;
  }

  /** Remove every stored block (but those another tab is reading or writing now). */
  async clear(): Promise<void> {
    for (const folder of await this.folders()) {
      await this.remove(folder.path.split('/').pop()!);
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
