/**
 * Streams the cycles of subject×task blocks in chunks of whole cycles, from parquet row groups
 * (decoded on the worker pool, a bounded number at a time, taken in file order) or from the
 * tensor store. A cycle or a block that straddles row groups is carried over exactly: a chunk
 * is emitted only when all its rows have arrived.
 */
import type { ISubjectTaskBlock } from '../dataset/dataset-summary';
import { LocolensError } from '../errors';
import type { SourceSpec } from '../io/byte-source';
import type { IColumnBatch } from '../parquet/column-data';
import type { DecodePool } from '../worker/decode-service';
import { PHASES, type ICycleTensor } from '../kernels/types';
import type { IStoredBlock, TensorStore } from '../store/tensor-store';

/** Cycles `[firstCycle, firstCycle + tensor.cycles)` of block `block`. */
export interface ICycleChunk {
  block: number;
  firstCycle: number;
  tensor: ICycleTensor;
}

/** Receives chunks in file order of their blocks' rows (awaited: back-pressure). */
export type ChunkSink = (chunk: ICycleChunk) => Promise<void> | void;

/** What a stream reports as it goes. */
export interface IStreamProgress {
  rowGroupsDone: number;
  rowGroups: number;
  bytesRead: number;
  requests: number;
}

/** Throw the cancellation error when `signal` is aborted. */
export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new LocolensError('cancelled', 'the analysis was cancelled');
  }
}

/** Cuts one block's rows, arriving in file order, into chunks of at most `capacity` cycles. */
class BlockChunker {
  constructor(
    readonly index: number,
    readonly block: ISubjectTaskBlock,
    readonly features: string[],
    readonly capacity: number
  ) {}

  private buffer: Float32Array | null = null;
  private bufferCycles = 0;
  private filledRows = 0;
  private emittedCycles = 0;

  /** The chunks completed by this batch's rows of the block. */
  add(batch: IColumnBatch): ICycleChunk[] {
    const out: ICycleChunk[] = [];
    const batchEnd = batch.firstRow + batch.numRows;
    for (const [first, rows] of this.block.spans) {
      let from = Math.max(first, batch.firstRow);
      const to = Math.min(first + rows, batchEnd);
      while (from < to) {
        if (!this.buffer) {
          this.bufferCycles = Math.min(this.capacity, this.block.cycles - this.emittedCycles);
          this.buffer = new Float32Array(this.features.length * this.bufferCycles * PHASES);
          this.filledRows = 0;
        }
        const room = this.bufferCycles * PHASES - this.filledRows;
        const n = Math.min(room, to - from);
        const offset = from - batch.firstRow;
        this.features.forEach((name, f) => {
          const column = batch.columns[name];
          if (!column || column.kind === 'codes') {
            throw new LocolensError('unsupported-parquet', `column ${JSON.stringify(name)} is not numeric`);
          }
          const target = f * this.bufferCycles * PHASES + this.filledRows;
          const values = column.values.subarray(offset, offset + n);
          if (values instanceof Float32Array) {
            this.buffer!.set(values, target);
          } else {
            // Float64 and integer columns narrow to float32 (the kernels' input type).
            for (let i = 0; i < n; i++) {
              this.buffer![target + i] = values[i];
            }
          }
        });
        this.filledRows += n;
        from += n;
        if (this.filledRows === this.bufferCycles * PHASES) {
          out.push({
            block: this.index,
            firstCycle: this.emittedCycles,
            tensor: { features: this.features, cycles: this.bufferCycles, data: this.buffer }
          });
          this.emittedCycles += this.bufferCycles;
          this.buffer = null;
        }
      }
    }
    return out;
  }

  get complete(): boolean {
    return this.emittedCycles === this.block.cycles;
  }
}

/** Options of a parquet stream. */
export interface IParquetStreamOptions {
  /** Most cycles per chunk. */
  capacity: number;
  /** Most row groups decoded or waiting at once. */
  window: number;
  signal?: AbortSignal;
  onProgress?: (progress: IStreamProgress) => void;
}

/**
 * Decode the row groups that hold `blocks`' rows (only `features`), in file order, and send
 * each block's chunks to `sink`.
 *
 * @returns bytes and requests read.
 */
export async function streamParquetChunks(
  pool: DecodePool,
  spec: SourceSpec,
  rowGroupRows: number[],
  blocks: ISubjectTaskBlock[],
  features: string[],
  sink: ChunkSink,
  options: IParquetStreamOptions
): Promise<IStreamProgress> {
  const chunkers = blocks.map((block, index) => new BlockChunker(index, block, features, Math.max(1, options.capacity)));
  const starts: number[] = [];
  let start = 0;
  for (const rows of rowGroupRows) {
    starts.push(start);
    start += rows;
  }
  const needed = rowGroupRows
    .map((rows, index) => index)
    .filter(index =>
      blocks.some(block => block.spans.some(([first, rows]) => first < starts[index] + rowGroupRows[index] && first + rows > starts[index]))
    );
  const progress: IStreamProgress = { rowGroupsDone: 0, rowGroups: needed.length, bytesRead: 0, requests: 0 };
  const inFlight: Array<Promise<IColumnBatch>> = [];
  let next = 0;
  const launch = () => {
    while (inFlight.length < Math.max(1, options.window) && next < needed.length) {
      const rowGroup = needed[next++];
      const batch = pool
        .run(api => api.readColumns(spec, rowGroup, features))
        .then(({ value, io }) => {
          progress.bytesRead += io.bytesRead;
          progress.requests += io.requests;
          return value;
        });
      batch.catch(() => undefined);
      inFlight.push(batch);
    }
  };
  try {
    while (progress.rowGroupsDone < needed.length) {
      throwIfCancelled(options.signal);
      launch();
      const batch = await inFlight.shift()!;
      for (const chunker of chunkers) {
        for (const chunk of chunker.add(batch)) {
          await sink(chunk);
        }
      }
      progress.rowGroupsDone += 1;
      options.onProgress?.({ ...progress });
    }
  } finally {
    // Leave no decode behind: the workers finish what they started, the results are dropped.
    await Promise.allSettled(inFlight);
  }
  if (!chunkers.every(chunker => chunker.complete)) {
    throw new LocolensError(
      'corrupt-parquet',
      `${spec.kind === 'file' ? spec.path : spec.name}: the file has fewer rows than its footer says`
    );
  }
  return progress;
}

/** Send the stored chunks of `blocks` (indices known complete) to `sink`, in block order. */
export async function streamStoredChunks(
  store: TensorStore,
  stored: Array<{ folder: string; index: IStoredBlock }>,
  sink: ChunkSink,
  options: { featureIndices?: number[]; signal?: AbortSignal }
): Promise<void> {
  for (let b = 0; b < stored.length; b++) {
    const { folder, index } = stored[b];
    for (let c = 0; c < index.chunks.length; c++) {
      throwIfCancelled(options.signal);
      const tensor = await store.readChunk(folder, index, c, options.featureIndices);
      await sink({ block: b, firstCycle: index.chunks[c].firstCycle, tensor });
    }
  }
}
