/**
 * The analysis job's protocol between the page (or the CLI's main thread) and the decode
 * workers: types only, at the leaf of the import graph (beside the kernels' types, its one import).
 *
 * #### Notes
 * A job's data stays in the workers: each decodes the row groups it is given, cuts them into
 * whole-cycle chunks, runs every kernel on them and keeps them (in memory, or in the tensor store
 * for a group larger than the budget). What crosses threads is small: the job, per-cycle results,
 * the rows of a cycle cut by a row-group boundary, and per group a few rounds of mergeable
 * partials (pattern moments, co-moments, key histograms for exact quantiles, RMSE).
 */
import type { IPatternPartial, IPerCycleFeatures } from '../kernels/types';

/** The kernels a job runs inside the workers: the float64 oracle or WebAssembly SIMD. */
export type JobKernel = 'reference' | 'wasm';

/** Options of a job, the same for each of its tasks. */
export interface IJobOptions {
  kernel: JobKernel;
  ddof: 0 | 1;
  nan: 'propagate' | 'ignore';
  /** Co-moments at each phase too (150 × F × F correlations). */
  phaseCorrelations: boolean;
  /** The tensor store's root, where chunk files are written and read. */
  storeRoot?: string;
}

/** One subject×task block as a task needs it. */
export interface IJobBlock {
  /** The block's index in the job (all groups' blocks, in plan order). */
  block: number;
  /** Its group's index. */
  group: number;
  /** Row spans of the block in the file, in file order. */
  spans: Array<[firstRow: number, rows: number]>;
  cycles: number;
  /** The store folder its chunks are written to, when they are stored. */
  folder?: string;
  /** Its group is larger than the budget: chunks live in the store, not in memory. */
  spill?: boolean;
  /** Every row of its group is in this task's row group: the worker finishes the group in the task. */
  local?: boolean;
}

/** A chunk file of a stored block (an entry of its index). */
export interface IStoredChunk {
  name: string;
  firstCycle: number;
  cycles: number;
}

/** A worker's cache writes of a job, once they ended. */
export interface IFlushAnswer {
  stored: Array<IStoredChunk & { block: number }>;
  errors: string[];
}

/** What a worker answers for one chunk of whole cycles. */
export interface IChunkResult {
  block: number;
  firstCycle: number;
  cycles: number;
  perCycle: IPerCycleFeatures;
  /** Validation flags per cycle (InvalidReason bits). */
  reasons: Uint8Array;
  /** The chunk file's name in the block's folder, when it was written there before the answer
   * (a spilled chunk; cache copies are reported by a flush). */
  stored?: string;
  /** Why writing it failed (the chunk was kept in memory instead). */
  storeError?: string;
}

/** Rows of one cycle that a row-group boundary cut: `[feature][row]`, from `position` in the block. */
export interface IEdgeRows {
  block: number;
  position: number;
  rows: number;
  data: Float32Array;
}

/** What a worker answers for one row group. */
export interface IRowGroupAnswer {
  chunks: IChunkResult[];
  edges: IEdgeRows[];
  /** The groups finished in the task (see IJobBlock.local), as a 'local' round answers. */
  finished: Array<{ group: number; answer: IGroupRoundAnswer }>;
  /** Milliseconds spent decoding parquet, and in the kernels. */
  decodeMs: number;
  kernelMs: number;
}

/**
 * One round of a group's finish, on each worker holding some of its cycles.
 * - level 0: the merged pattern moments and co-moments of the worker's chunks, and a histogram
 *   of the top 12 bits of every sample's order-preserving key, per feature;
 * - level 1: per-cycle RMSE against `mean`, and histograms of the next 12 bits under each of
 *   the feature's `prefixes` (top 12 bits);
 * - level 2: histograms of the last 8 bits under each prefix (top 24 bits); the worker then
 *   drops the group.
 */
export interface IGroupRoundRequest {
  /** 'local': the worker holds every cycle of the group and finishes it alone (see IGroupRoundAnswer.quantiles). */
  level: 0 | 1 | 2 | 'local';
  /** Per feature, the key prefixes to histogram under (levels 1 and 2). */
  prefixes?: number[][];
  /** The group's final mean pattern `[feature][phase]` (level 1). */
  mean?: Float64Array;
}

/** One chunk's pattern moments and co-moments (merged in cycle order by whoever merges them). */
export interface IMomentsPart {
  block: number;
  firstCycle: number;
  partial: IPatternPartial;
  moments: { features: Float64Array; phases: Float64Array | null };
}

/** One worker's answer to a round. */
export interface IGroupRoundAnswer {
  /** Level 0: each of the worker's chunks' moments. */
  parts?: IMomentsPart[];
  /** 'local': the group's merged moments. */
  partial?: IPatternPartial;
  moments?: { features: Float64Array; phases: Float64Array | null };
  /** Level 0: NaN samples per feature. */
  nan?: Float64Array;
  /** Histogram counts: level 0 `[feature][4096]`; levels 1, 2 `[feature][prefix][4096 or 256]`. */
  counts: Uint32Array;
  /** 'local': q25, median, q75 per feature (`[feature][3]`). */
  quantiles?: Float64Array;
  /** Level 1 and 'local': RMSE of each of the worker's chunks. */
  rmse?: Array<{ block: number; firstCycle: number; values: Float64Array }>;
  kernelMs: number;
}
