/**
 * What a decode worker runs for an analysis job: decode its row groups (needed columns only),
 * cut them into whole-cycle chunks, run every kernel where the bytes landed, and keep the chunks
 * (in memory, or in the tensor store for a group larger than the budget) for the group's finish
 * rounds. See ../worker/protocol.ts for what crosses threads.
 */
import { LocolensError } from '../errors';
import type { IColumnBatch } from '../parquet/column-data';
import type { IChunkFiles } from '../store/chunk-files';
import { coMoments } from '../kernels/co-moments';
import { addKeyHistogram, radixBins } from '../kernels/radix-select';
import { cycleRmse, finalizePatterns, patternPartial, perCycleFeatures, quartilesUnderPolicy, validateCycles } from '../kernels/reference';
import { PHASES, type ICycleTensor, type IKernelOptions, type IPatternPartial, type IPerCycleFeatures } from '../kernels/types';
import { mergeMomentParts } from './merge';
import { loadWasmKernels, type IChunkKernelResults, type WasmKernels } from '../kernels/wasm/wasm-kernels';
import type {
  IChunkResult,
  IGroupRoundAnswer,
  IGroupRoundRequest,
  IJobBlock,
  IJobOptions,
  IMomentsPart,
  IRowGroupAnswer,
  IFlushAnswer,
  IStoredChunk,
  JobKernel
} from '../worker/protocol';

/** The kernels a job runs on a chunk: one meaning, the reference or the wasm implementation. */
export interface IJobKernels {
  /** Per-cycle features and pattern moments of a tensor (one fused pass). */
  perCycleAndPatterns(tensor: ICycleTensor, options: IKernelOptions): { perCycle: IPerCycleFeatures; partial: IPatternPartial };
  /** Per-cycle features, pattern moments, validation flags and co-moments of one chunk. */
  chunk(tensor: ICycleTensor, options: IKernelOptions, withPhases: boolean): IChunkKernelResults;
  cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions): Float64Array;
  /** Adds feature samples' key histogram (see radix-select.ts); returns the NaN samples at level 0. */
  keyHistogram(samples: Float32Array, level: number, prefixes: number[], counts: Uint32Array): number;
  /** Exact q25, median, q75 of each feature over the samples of some tensors, `[feature][3]`. */
  quantiles(tensors: ICycleTensor[], nan: IKernelOptions['nan']): Float64Array;
}

/** The quantiles of the reference: numpy's linear interpolation by selection, in float64. */
function referenceQuantiles(tensors: ICycleTensor[], nan: IKernelOptions['nan']): Float64Array {
  const F = tensors[0]?.features.length ?? 0;
  const out = new Float64Array(F * 3).fill(NaN);
  for (let f = 0; f < F; f++) {
    const parts = tensors.map(tensor => tensor.data.subarray(f * tensor.cycles * PHASES, (f + 1) * tensor.cycles * PHASES));
    const values = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      values.set(part, at);
      at += part.length;
    }
    out.set(quartilesUnderPolicy(values, nan), f * 3);
  }
  return out;
}

/** The reference kernels (float64 TypeScript): the oracle. */
export const referenceJobKernels: IJobKernels = {
  perCycleAndPatterns: (tensor, options) => ({ perCycle: perCycleFeatures(tensor, options), partial: patternPartial(tensor) }),
  chunk: (tensor, options, withPhases) => ({
    perCycle: perCycleFeatures(tensor, options),
    partial: patternPartial(tensor),
    reasons: validateCycles(tensor).reasons,
    moments: coMoments(tensor, withPhases)
  }),
  cycleRmse: (tensor, mean, options) => cycleRmse(tensor, mean, options),
  keyHistogram: addKeyHistogram,
  quantiles: referenceQuantiles
};

/** The WebAssembly SIMD kernels of this thread. */
export function wasmJobKernels(wasm: WasmKernels): IJobKernels {
  return {
    perCycleAndPatterns: (tensor, options) => wasm.perCycleAndPatterns(tensor, options),
    chunk: (tensor, options, withPhases) => wasm.chunkKernels(tensor, options, withPhases),
    cycleRmse: (tensor, mean, options) => wasm.cycleRmse(tensor, mean, options),
    keyHistogram: (samples, level, prefixes, counts) => wasm.keyHistogram(samples, level, prefixes, counts),
    quantiles: (tensors, nan) => wasm.quantiles(tensors, nan)
  };
}

/** A chunk a worker holds for a group's finish rounds. */
interface IHeldChunk {
  block: number;
  firstCycle: number;
  cycles: number;
  /** In memory, or (spilled) in the store at `path`. */
  tensor?: ICycleTensor;
  path?: string;
}

/** A job's cache writes in a worker. */
interface IPendingWrites {
  pending: Array<Promise<void>>;
  done: IFlushAnswer['stored'];
  errors: string[];
}

/** What a worker holds of one group of a job. */
interface IHeldGroup {
  features: string[];
  chunks: IHeldChunk[];
  /** Each chunk's pattern moments and co-moments, merged later in cycle order (deterministic results). */
  parts: IMomentsPart[];
}

/**
 * The positions `[p0, p1)` of a block's rows inside rows `[first, end)` of the file, with the
 * pieces to copy (the block's spans are in file order, so the positions are contiguous).
 */
function blockPieces(spans: Array<[number, number]>, first: number, end: number): Array<{ position: number; row: number; rows: number }> {
  const pieces: Array<{ position: number; row: number; rows: number }> = [];
  let position = 0;
  for (const [start, rows] of spans) {
    const from = Math.max(start, first);
    const to = Math.min(start + rows, end);
    if (from < to) {
      pieces.push({ position: position + (from - start), row: from - first, rows: to - from });
    }
    position += rows;
  }
  return pieces;
}

/** Copy block positions `[a, b)` of every feature from a batch into `target` (`[feature][b − a]` at `stride`). */
function copyPositions(
  batch: IColumnBatch,
  features: string[],
  pieces: Array<{ position: number; row: number; rows: number }>,
  a: number,
  b: number,
  target: Float32Array,
  stride: number
): void {
  features.forEach((name, f) => {
    const column = batch.columns[name];
    if (!column || column.kind === 'codes') {
      throw new LocolensError('unsupported-parquet', `column ${JSON.stringify(name)} is not numeric`);
    }
    for (const piece of pieces) {
      const from = Math.max(a, piece.position);
      const to = Math.min(b, piece.position + piece.rows);
      if (from >= to) {
        continue;
      }
      const values = column.values.subarray(piece.row + (from - piece.position), piece.row + (to - piece.position));
      // Float64 and integer columns narrow to float32 (the kernels' input type) in the same copy.
      target.set(values, f * stride + (from - a));
    }
  });
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** The analysis jobs of one worker. */
export class AnalysisJobs {
  /**
   * @param chunkFiles - the tensor store's files under a root, where this environment has them.
   */
  constructor(private readonly chunkFiles?: (root: string) => IChunkFiles) {}

  private readonly jobs = new Map<string, Map<number, IHeldGroup>>();
  private wasm: Promise<IJobKernels> | null = null;

  /** This thread's kernels of a kind (wasm falls back to the reference where SIMD is missing). */
  kernels(kind: JobKernel): Promise<IJobKernels> {
    if (kind === 'reference') {
      return Promise.resolve(referenceJobKernels);
    }
    this.wasm ??= loadWasmKernels().then(wasmJobKernels, () => referenceJobKernels);
    return this.wasm;
  }

  /** Cut a decoded row group into its blocks' whole-cycle chunks and run the kernels on each. */
  async rowGroup(
    job: string,
    batch: IColumnBatch,
    features: string[],
    blocks: IJobBlock[],
    options: IJobOptions,
    decodeMs: number
  ): Promise<IRowGroupAnswer> {
    const started = now();
    const kernels = await this.kernels(options.kernel);
    const F = features.length;
    const answer: IRowGroupAnswer = { chunks: [], edges: [], finished: [], decodeMs, kernelMs: 0 };
    for (const block of blocks) {
      const pieces = blockPieces(block.spans, batch.firstRow, batch.firstRow + batch.numRows);
      if (pieces.length === 0) {
        continue;
      }
      const p0 = pieces[0].position;
      const p1 = pieces[pieces.length - 1].position + pieces[pieces.length - 1].rows;
      const c0 = Math.ceil(p0 / PHASES);
      const c1 = Math.floor(p1 / PHASES);
      const edge = (a: number, b: number) => {
        const data = new Float32Array(F * (b - a));
        copyPositions(batch, features, pieces, a, b, data, b - a);
        answer.edges.push({ block: block.block, position: a, rows: b - a, data });
      };
      if (c1 <= c0) {
        // The row group holds part of one cycle (or parts of two, cut in the middle).
        if (c1 < c0) {
          edge(p0, p1);
        } else {
          if (p0 < c0 * PHASES) {
            edge(p0, c0 * PHASES);
          }
          if (c1 * PHASES < p1) {
            edge(c1 * PHASES, p1);
          }
        }
        continue;
      }
      if (p0 < c0 * PHASES) {
        edge(p0, c0 * PHASES);
      }
      if (c1 * PHASES < p1) {
        edge(c1 * PHASES, p1);
      }
      const cycles = c1 - c0;
      const data = new Float32Array(F * cycles * PHASES);
      copyPositions(batch, features, pieces, c0 * PHASES, c1 * PHASES, data, cycles * PHASES);
      answer.chunks.push(await this.addChunk(job, block, c0, { features, cycles, data }, options, kernels));
    }
    // Groups entirely in this row group end here: no round trip, nothing kept.
    for (const group of new Set(blocks.filter(block => block.local).map(block => block.group))) {
      answer.finished.push({ group, answer: await this.round(job, group, F, { level: 'local' }, options) });
    }
    answer.kernelMs = now() - started;
    return answer;
  }

  /** Run the kernels on one chunk (cycles carried over a row-group boundary, or read from the store) and hold it. */
  async chunk(
    job: string,
    block: IJobBlock,
    firstCycle: number,
    tensor: ICycleTensor,
    options: IJobOptions,
    storedAs?: string
  ): Promise<IChunkResult> {
    return this.addChunk(job, block, firstCycle, tensor, options, await this.kernels(options.kernel), storedAs);
  }

  /** A chunk of a stored block, read from this worker's store files. */
  async storedChunk(job: string, block: IJobBlock, chunk: IStoredChunk, features: string[], options: IJobOptions): Promise<IChunkResult> {
    const tensor = await this.readChunkFile(`${block.folder}/${chunk.name}`, features, chunk.cycles, options);
    return this.chunk(job, block, chunk.firstCycle, tensor, options, chunk.name);
  }

  private files(options: IJobOptions): IChunkFiles {
    if (!this.chunkFiles || !options.storeRoot) {
      throw new LocolensError('io-error', 'no tensor store in this environment');
    }
    return this.chunkFiles(options.storeRoot);
  }

  private async addChunk(
    job: string,
    block: IJobBlock,
    firstCycle: number,
    tensor: ICycleTensor,
    options: IJobOptions,
    kernels: IJobKernels,
    storedAs?: string
  ): Promise<IChunkResult> {
    const kernelOptions: IKernelOptions = { ddof: options.ddof, nan: options.nan };
    const { perCycle, partial, reasons, moments } = kernels.chunk(tensor, kernelOptions, options.phaseCorrelations);
    const held = this.group(job, block.group, tensor.features);
    held.parts.push({ block: block.block, firstCycle, partial, moments });
    const result: IChunkResult = { block: block.block, firstCycle, cycles: tensor.cycles, perCycle, reasons };
    const chunk: IHeldChunk = { block: block.block, firstCycle, cycles: tensor.cycles, tensor };
    let stored = storedAs;
    if (!stored && block.folder && options.storeRoot && this.chunkFiles) {
      const name = `c${firstCycle}.f32`;
      const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      const write = this.files(options).write(`${block.folder}/${name}`, bytes);
      if (block.spill) {
        // The chunk leaves memory: it must be in the store first.
        try {
          await write;
          stored = name;
          result.stored = name;
        } catch (error) {
          result.storeError = storeErrorText(error);
        }
      } else {
        // A cache copy: written while the kernels go on, reported by `flush`.
        this.writesOf(job).pending.push(
          write.then(
            () => void this.writesOf(job).done.push({ block: block.block, name, firstCycle, cycles: tensor.cycles }),
            error => void this.writesOf(job).errors.push(storeErrorText(error))
          )
        );
      }
    }
    if (block.spill && stored) {
      // The group is larger than the budget: its finish rounds read the chunk back from the store.
      chunk.tensor = undefined;
      chunk.path = `${block.folder}/${stored}`;
    }
    held.chunks.push(chunk);
    return result;
  }

  private readonly writes = new Map<string, IPendingWrites>();

  private writesOf(job: string): IPendingWrites {
    let writes = this.writes.get(job);
    if (!writes) {
      writes = { pending: [], done: [], errors: [] };
      this.writes.set(job, writes);
    }
    return writes;
  }

  /** Wait for the job's cache writes to end: the chunk files written, and why others were not. */
  async flush(job: string): Promise<IFlushAnswer> {
    const writes = this.writesOf(job);
    while (writes.pending.length) {
      await Promise.all(writes.pending.splice(0));
    }
    this.writes.delete(job);
    return { stored: writes.done, errors: writes.errors };
  }

  private group(job: string, group: number, features: string[]): IHeldGroup {
    let groups = this.jobs.get(job);
    if (!groups) {
      groups = new Map();
      this.jobs.set(job, groups);
    }
    let held = groups.get(group);
    if (!held) {
      held = { features, chunks: [], parts: [] };
      groups.set(group, held);
    }
    return held;
  }

  /** One finish round of a group (see IGroupRoundRequest). */
  async round(job: string, group: number, features: number, request: IGroupRoundRequest, options: IJobOptions): Promise<IGroupRoundAnswer> {
    const started = now();
    const kernels = await this.kernels(options.kernel);
    const held = this.jobs.get(job)?.get(group) ?? { features: [], chunks: [], parts: [] };
    if (request.level === 'local') {
      return this.finishLocally(job, group, held, options, kernels, started);
    }
    const level = request.level;
    const bins = radixBins(level);
    const prefixes = request.prefixes ?? [];
    const offsets: number[] = [];
    let size = 0;
    for (let f = 0; f < features; f++) {
      offsets.push(size);
      size += level === 0 ? bins : (prefixes[f]?.length ?? 0) * bins;
    }
    const counts = new Uint32Array(size);
    const nan = new Float64Array(features);
    const answer: IGroupRoundAnswer = { counts, kernelMs: 0 };
    if (level === 1) {
      answer.rmse = [];
    }
    const kernelOptions: IKernelOptions = { ddof: options.ddof, nan: options.nan };
    for (const chunk of held.chunks) {
      const tensor = await this.tensorOf(chunk, held.features, options);
      const n = chunk.cycles * PHASES;
      for (let f = 0; f < features; f++) {
        const wanted = level === 0 ? [] : (prefixes[f] ?? []);
        if (level > 0 && wanted.length === 0) {
          continue;
        }
        const width = level === 0 ? bins : wanted.length * bins;
        nan[f] += kernels.keyHistogram(
          tensor.data.subarray(f * n, (f + 1) * n),
          level,
          wanted,
          counts.subarray(offsets[f], offsets[f] + width)
        );
      }
      if (level === 1 && request.mean) {
        answer.rmse!.push({
          block: chunk.block,
          firstCycle: chunk.firstCycle,
          values: kernels.cycleRmse(tensor, request.mean, kernelOptions)
        });
      }
    }
    if (level === 0) {
      answer.nan = nan;
      // Sent once: the moments need not stay.
      answer.parts = held.parts;
      held.parts = [];
    }
    if (level === 2) {
      this.jobs.get(job)?.delete(group);
    }
    answer.kernelMs = now() - started;
    return answer;
  }

  /** Every cycle of the group is here: moments, RMSE against the group's mean, exact quantiles. */
  private async finishLocally(
    job: string,
    group: number,
    held: IHeldGroup,
    options: IJobOptions,
    kernels: IJobKernels,
    started: number
  ): Promise<IGroupRoundAnswer> {
    const kernelOptions: IKernelOptions = { ddof: options.ddof, nan: options.nan };
    const answer: IGroupRoundAnswer = { counts: new Uint32Array(0), rmse: [], kernelMs: 0 };
    if (held.parts.length) {
      // Merged in cycle order, as the page merges several workers' parts: the same mean.
      const merged = mergeMomentParts(held.parts, options.phaseCorrelations);
      const mean = finalizePatterns(merged.partial, kernelOptions).mean;
      const tensors: ICycleTensor[] = [];
      for (const chunk of held.chunks) {
        const tensor = await this.tensorOf(chunk, held.features, options);
        tensors.push(tensor);
        answer.rmse!.push({ block: chunk.block, firstCycle: chunk.firstCycle, values: kernels.cycleRmse(tensor, mean, kernelOptions) });
      }
      answer.quantiles = kernels.quantiles(tensors, options.nan);
      answer.partial = merged.partial;
      answer.moments = merged.moments;
    }
    this.jobs.get(job)?.delete(group);
    answer.kernelMs = now() - started;
    return answer;
  }

  private async tensorOf(chunk: IHeldChunk, features: string[], options: IJobOptions): Promise<ICycleTensor> {
    return chunk.tensor ?? this.readChunkFile(chunk.path!, features, chunk.cycles, options);
  }

  /** A chunk file of this worker's store as a tensor (a file of the wrong size is an error). */
  private async readChunkFile(path: string, features: string[], cycles: number, options: IJobOptions): Promise<ICycleTensor> {
    const bytes = await this.files(options).read(path, null);
    const expected = features.length * cycles * PHASES * 4;
    if (bytes.byteLength !== expected) {
      throw new LocolensError('io-error', `stored chunk ${path}: ${bytes.byteLength} bytes, expected ${expected}`);
    }
    return { features, cycles, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  }

  /** Drop what this worker holds of a job (writes still under way end on their own). */
  release(job: string): void {
    this.jobs.delete(job);
    this.writes.delete(job);
  }
}

/** A failed store write as text, with its kind for a DOMException ("QuotaExceededError: …"): the store's step-aside reason. */
function storeErrorText(error: unknown): string {
  if (typeof DOMException !== 'undefined' && error instanceof DOMException) {
    return `${error.name}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
