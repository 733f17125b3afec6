/**
 * Backends of the hot kernels (per-cycle features, pattern moments, per-cycle RMSE): one meaning,
 * several implementations. The reference backend is the oracle; `auto` picks the fastest that works.
 */
import { transfer } from 'comlink';

import { LocolensError, describeError } from '../errors';
import type { DecodePool } from '../worker/decode-service';
import { cycleRmse, emptyPerCycleFeatures, mergePatternPartials, patternPartial, perCycleFeatures } from './reference';
import { PHASES, type BackendName, type ICycleTensor, type IKernelOptions, type IPatternPartial, type IPerCycleFeatures } from './types';
import type { IGroupStatistics } from './group-statistics';
import { loadWasmKernels } from './wasm/wasm-kernels';
import { gpuKernels, probeAdapter } from './webgpu/gpu-device';
import { GpuKernelError } from './webgpu/gpu-kernels';

export type { BackendName } from './types';

/** What a backend computes. */
export interface ICycleKernelBackend {
  readonly name: BackendName;
  /** Per-cycle features of every cycle, and the pattern moments over all cycles (one fused pass). */
  perCycleAndPatterns(tensor: ICycleTensor, options: IKernelOptions): Promise<{ perCycle: IPerCycleFeatures; partial: IPatternPartial }>;
  /** RMSE of every cycle against a mean pattern `[feature][phase]`. */
  cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions): Promise<Float64Array>;
  /** Validation and correlations, where the backend computes them itself (the GPU). */
  groupStatistics?(
    tensor: ICycleTensor,
    options: IKernelOptions,
    phaseCorrelations: boolean
  ): Promise<Pick<IGroupStatistics, 'validation' | 'correlations'>>;
  /** The device, for a GPU backend (e.g. "nvidia hopper NVIDIA H100"). */
  readonly adapter?: string;
}

/**
 * The WebGPU kernels of this thread (see `registerGpuProvider`).
 *
 * @param allowSoftware - accept a software adapter (SwiftShader, llvmpipe): correct but slow.
 */
export async function webgpuBackend(allowSoftware = true): Promise<ICycleKernelBackend> {
  const kernels = await gpuKernels();
  if (!allowSoftware && kernels.software) {
    throw new GpuKernelError(`only a software adapter is available (${kernels.adapter})`);
  }
  return {
    name: 'webgpu',
    adapter: kernels.adapter,
    perCycleAndPatterns: (tensor, options) => kernels.perCycleAndPatterns(tensor, options),
    cycleRmse: (tensor, mean, options) => kernels.cycleRmse(tensor, mean, options),
    groupStatistics: (tensor, options, phaseCorrelations) => kernels.groupStatistics(tensor, options, phaseCorrelations)
  };
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
export function workersBackend(pool: DecodePool): ICycleKernelBackend {
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
      const perCycle = emptyPerCycleFeatures(F * C);
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

/**
 * The backend for a request, and why another one serves it when the one asked for cannot.
 *
 * - `webgpu`: the GPU; without one (no WebGPU, no adapter, limits refused) the worker pool, or
 *   wasm on this thread when there is no pool, with the reason in `fallback`.
 * - `auto`: a hardware GPU when there is one; else wasm on this thread (measured here, one wasm
 *   thread beats the worker pool 3–4×: the pool copies each cycle range into a fresh buffer);
 *   else the reference. The browser asks for `workers` or `webgpu`, to keep its page thread free.
 */
export async function selectBackend(
  name: BackendName | 'auto',
  pool: DecodePool | null
): Promise<{ backend: ICycleKernelBackend; fallback?: string }> {
  if (name === 'reference') {
    return { backend: referenceBackend };
  }
  if (name === 'workers') {
    if (!pool) {
      throw new LocolensError('bad-argument', 'the workers backend needs a worker pool');
    }
    return { backend: workersBackend(pool) };
  }
  if (name === 'wasm') {
    try {
      return { backend: await wasmBackend() };
    } catch (error) {
      throw new LocolensError('bad-argument', `the wasm backend is not available here: ${String(error)}`);
    }
  }
  if (name === 'auto') {
    // A software adapter (or none) means the CPU: decided from the adapter alone, before any
    // device is opened or shader compiled.
    const adapter = await probeAdapter();
    if (!adapter || adapter.software) {
      return cpuFallback(null);
    }
  }
  if (name === 'webgpu' || name === 'auto') {
    try {
      return { backend: await webgpuBackend(name === 'webgpu') };
    } catch (error) {
      if (name === 'webgpu') {
        const { backend } = await cpuFallback(pool);
        return { backend, fallback: `WebGPU unavailable (${describeError(error)}); ${backend.name} computed the results` };
      }
    }
  }
  return cpuFallback(null);
}

/** The CPU backend that replaces the GPU: the pool when there is one, else wasm, else reference. */
export async function cpuFallback(pool: DecodePool | null): Promise<{ backend: ICycleKernelBackend }> {
  if (pool) {
    return { backend: workersBackend(pool) };
  }
  try {
    return { backend: await wasmBackend() };
  } catch {
    return { backend: referenceBackend };
  }
}
