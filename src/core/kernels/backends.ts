/**
 * Backends of the hot kernels (per-cycle features, pattern moments, per-cycle RMSE): one meaning,
 * several implementations. The reference backend is the oracle; `auto` picks the fastest that works.
 */
import { transfer } from 'comlink';

import { LocolensError } from '../errors';
import type { WorkerPool } from '../pool/worker-pool';
import { cycleRmse, mergePatternPartials, patternPartial, perCycleFeatures } from './reference';
import { PHASES, type ICycleTensor, type IKernelOptions, type IPatternPartial, type IPerCycleFeatures } from './types';
import { loadWasmKernels } from './wasm/wasm-kernels';

/** Names of the backends. */
export type BackendName = 'reference' | 'wasm' | 'workers';

/** What a backend computes. */
export interface ICycleKernelBackend {
  readonly name: BackendName;
  /** Per-cycle features of every cycle, and the pattern moments over all cycles (one fused pass). */
  perCycleAndPatterns(tensor: ICycleTensor, options: IKernelOptions): Promise<{ perCycle: IPerCycleFeatures; partial: IPatternPartial }>;
  /** RMSE of every cycle against a mean pattern `[feature][phase]`. */
  cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions): Promise<Float64Array>;
}

/** Plain TypeScript, float64: the oracle. */
export const referenceBackend: ICycleKernelBackend = {
  name: 'reference',
  perCycleAndPatterns: async (tensor, options) => ({ perCycle: perCycleFeatures(tensor, options), partial: patternPartial(tensor) }),
  cycleRmse: async (tensor, mean, options) => cycleRmse(tensor, mean, options)
};

/** WebAssembly SIMD on this thread. Rejects where WebAssembly SIMD is not supported. */
export async function wasmBackend(): Promise<ICycleKernelBackend> {
  const kernels = await loadWasmKernels();
  return {
    name: 'wasm',
    perCycleAndPatterns: async (tensor, options) => kernels.perCycleAndPatterns(tensor, options),
    cycleRmse: async (tensor, mean, options) => kernels.cycleRmse(tensor, mean, options, 0, tensor.cycles)
  };
}

/** Fewest cycles worth sending to a worker. */
const MIN_CYCLES_PER_TASK = 32;

/**
 * The wasm kernel on every worker of a pool: the cycles are split in contiguous ranges, each
 * range's sub-tensor is transferred (not copied) to a worker, and the partial moments merge exactly.
 */
export function workersBackend(pool: WorkerPool): ICycleKernelBackend {
  const ranges = (cycles: number): Array<[number, number]> => {
    const parts = Math.max(1, Math.min(pool.size, Math.floor(cycles / MIN_CYCLES_PER_TASK)));
    const size = Math.ceil(cycles / parts);
    const out: Array<[number, number]> = [];
    for (let from = 0; from < cycles; from += size) {
      out.push([from, Math.min(cycles, from + size)]);
    }
    return out;
  };
  return {
    name: 'workers',
    async perCycleAndPatterns(tensor, options) {
      const parts = await Promise.all(
        ranges(tensor.cycles).map(async ([from, to]) => {
          const sub = subTensor(tensor, from, to);
          const { value } = await pool.run(api => api.cycleKernels(transfer(sub, [sub.data.buffer as ArrayBuffer]), options));
          return { from, to, ...value };
        })
      );
      const F = tensor.features.length;
      const C = tensor.cycles;
      const perCycle = emptyPerCycle(F * C);
      for (const part of parts) {
        const n = part.to - part.from;
        for (const key of Object.keys(perCycle) as Array<keyof IPerCycleFeatures>) {
          for (let f = 0; f < F; f++) {
            perCycle[key].set(part.perCycle[key].subarray(f * n, (f + 1) * n), f * C + part.from);
          }
        }
      }
      return { perCycle, partial: mergePatternPartials(parts.map(part => part.partial)) };
    },
    async cycleRmse(tensor, mean, options) {
      const parts = await Promise.all(
        ranges(tensor.cycles).map(async ([from, to]) => {
          const sub = subTensor(tensor, from, to);
          const { value } = await pool.run(api => api.cycleRmse(transfer(sub, [sub.data.buffer as ArrayBuffer]), mean, options));
          return { from, value };
        })
      );
      const out = new Float64Array(tensor.cycles);
      for (const part of parts) {
        out.set(part.value, part.from);
      }
      return out;
    }
  };
}

/** Cycles `[from, to)` of a tensor as a tensor of their own (one copy per feature). */
export function subTensor(tensor: ICycleTensor, from: number, to: number): ICycleTensor {
  const F = tensor.features.length;
  const C = tensor.cycles;
  const n = to - from;
  const data = new Float32Array(F * n * PHASES);
  for (let f = 0; f < F; f++) {
    data.set(tensor.data.subarray((f * C + from) * PHASES, (f * C + to) * PHASES), f * n * PHASES);
  }
  return { features: tensor.features, cycles: n, data };
}

function emptyPerCycle(size: number): IPerCycleFeatures {
  return {
    mean: new Float64Array(size),
    std: new Float64Array(size),
    min: new Float64Array(size),
    max: new Float64Array(size),
    rom: new Float64Array(size),
    peakTiming: new Float64Array(size)
  };
}

/**
 * The backend for a request. `auto` is the wasm kernel on this thread (the reference where
 * WebAssembly SIMD is missing): measured here, single-thread wasm beats the worker pool 3–4×,
 * whose cost is the sub-tensor copies into fresh buffers (scripts/bench-kernels.mjs). The
 * browser asks for `workers` explicitly, to keep its page thread free.
 */
export async function selectBackend(name: BackendName | 'auto', pool: WorkerPool | null): Promise<ICycleKernelBackend> {
  if (name === 'reference') {
    return referenceBackend;
  }
  if (name === 'workers') {
    if (!pool) {
      throw new LocolensError('bad-argument', 'the workers backend needs a worker pool');
    }
    return workersBackend(pool);
  }
  if (name === 'wasm') {
    try {
      return await wasmBackend();
    } catch (error) {
      throw new LocolensError('bad-argument', `the wasm backend is not available here: ${String(error)}`);
    }
  }
  try {
    return await wasmBackend();
  } catch {
    return referenceBackend;
  }
}
