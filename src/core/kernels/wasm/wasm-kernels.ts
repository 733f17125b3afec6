/**
 * The WebAssembly SIMD backend of the hot kernels: per-cycle features fused with the pattern moments,
 * and the per-cycle RMSE against a mean pattern. Same meaning as ../reference.ts (the oracle), within
 * 1e-5 relative. No @jupyterlab imports: it runs in Node, in Web Workers and in the browser.
 *
 * #### Notes
 * The module (assembly/cycle-stats.ts, built by scripts/build-wasm.mjs) is embedded as base64 in the
 * generated `./cycle-stats.wasm.ts`, compiled once per thread and instantiated once. Each call copies
 * the requested cycles of the tensor into the instance's memory (one copy per feature's contiguous run
 * of cycles), which grows as needed and is reused by later calls; results are copied out.
 */
import { PHASES, type ICycleTensor, type IKernelOptions, type IPatternPartial, type IPerCycleFeatures } from '../types';
import { CYCLE_STATS_WASM_BASE64 } from './cycle-stats.wasm';

/** The wasm module's exports (pointers are byte offsets into `memory`). */
interface IKernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  perCycleAndPatterns(
    data: number,
    features: number,
    cycles: number,
    ddof: number,
    ignore: number,
    oMean: number,
    oStd: number,
    oMin: number,
    oMax: number,
    oRom: number,
    oPeak: number,
    pCount: number,
    pMean: number,
    pM2: number,
    pNan: number
  ): void;
  rmseBegin(cycles: number, ss: number, n: number, nan: number): void;
  rmseAccumulate(data: number, features: number, cycles: number, mean: number, ss: number, n: number, nan: number): void;
  rmseEnd(cycles: number, ignore: number, ss: number, n: number, nan: number, out: number): void;
}

/** Thrown (as the rejection of `loadWasmKernels`) where WebAssembly or its SIMD proposal is missing. */
export class WasmSimdUnsupportedError extends Error {
  constructor(message = 'WebAssembly SIMD (v128) is not supported here: use the reference kernels') {
    super(message);
    this.name = 'WasmSimdUnsupportedError';
  }
}

/** `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`: validates only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11
]);

/** Whether this thread can run the wasm kernels (WebAssembly with fixed-width SIMD). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const PAGE = 65536;
/** wasm32's limit. */
const MAX_BYTES = 65536 * PAGE;

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** The wasm kernels of one thread. */
export class WasmKernels {
  constructor(exports: IKernelExports) {
    this._exports = exports;
    this._base = exports.heapBase();
  }

  /** Bytes of linear memory held by this thread's instance (it never shrinks). */
  get memoryBytes(): number {
    return this._exports.memory.buffer.byteLength;
  }

  /**
   * Per-cycle features of cycles `[from, to)` (each `[feature][cycle − from]`) and the pattern moments
   * over those cycles, in one fused pass over the data (as `perCycleFeatures` and `patternPartial`).
   */
  perCycleAndPatterns(
    tensor: ICycleTensor,
    options: IKernelOptions,
    from = 0,
    to = tensor.cycles
  ): { perCycle: IPerCycleFeatures; partial: IPatternPartial } {
    const F = tensor.features.length;
    const n = checkRange(tensor, from, to);
    const cells = F * PHASES;
    const size = F * n;
    // Layout: data | 6 per-cycle outputs (float64) | count, mean, m2 (float64) | nan (u8).
    const dataBytes = align16(size * PHASES * 4);
    const outBytes = align16(size * 8);
    const cellBytes = align16(cells * 8);
    const base = this._reserve(dataBytes + 6 * outBytes + 3 * cellBytes + align16(cells));
    const data = base;
    const outs = [0, 1, 2, 3, 4, 5].map(i => data + dataBytes + i * outBytes);
    const pCount = data + dataBytes + 6 * outBytes;
    const pMean = pCount + cellBytes;
    const pM2 = pMean + cellBytes;
    const pNan = pM2 + cellBytes;
    this._copyIn(tensor, from, to, data);
    // One call per feature: V8 runs a wasm function's first calls in its baseline compiler and swaps in
    // the optimized code only between calls, so a single long first call would run unoptimized throughout.
    const ignore = options.nan === 'ignore' ? 1 : 0;
    for (let f = 0; f < F; f++) {
      const cyc = f * n * 8;
      const cell = f * PHASES * 8;
      this._exports.perCycleAndPatterns(
        data + f * n * PHASES * 4,
        1,
        n,
        options.ddof,
        ignore,
        outs[0] + cyc,
        outs[1] + cyc,
        outs[2] + cyc,
        outs[3] + cyc,
        outs[4] + cyc,
        outs[5] + cyc,
        pCount + cell,
        pMean + cell,
        pM2 + cell,
        pNan + f * PHASES
      );
    }
    const buffer = this._exports.memory.buffer;
    const f64 = (at: number, length: number) => new Float64Array(buffer, at, length).slice();
    return {
      perCycle: {
        mean: f64(outs[0], size),
        std: f64(outs[1], size),
        min: f64(outs[2], size),
        max: f64(outs[3], size),
        rom: f64(outs[4], size),
        peakTiming: f64(outs[5], size)
      },
      partial: {
        features: F,
        count: f64(pCount, cells),
        mean: f64(pMean, cells),
        m2: f64(pM2, cells),
        nan: new Uint8Array(buffer, pNan, cells).slice()
      }
    };
  }

  /** RMSE of cycles `[from, to)` against a mean pattern `[feature][phase]` (as `cycleRmse`). */
  cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions, from = 0, to = tensor.cycles): Float64Array {
    const F = tensor.features.length;
    const n = checkRange(tensor, from, to);
    if (mean.length !== F * PHASES) {
      throw new RangeError(`the mean pattern has ${mean.length} values, not ${F} features × ${PHASES}`);
    }
    // Layout: data | mean (float64) | ss, n, out (float64) | nan (u8).
    const dataBytes = align16(F * n * PHASES * 4);
    const meanBytes = align16(F * PHASES * 8);
    const outBytes = align16(n * 8);
    const base = this._reserve(dataBytes + meanBytes + 3 * outBytes + align16(n));
    const data = base;
    const meanPtr = data + dataBytes;
    const ss = meanPtr + meanBytes;
    const count = ss + outBytes;
    const out = count + outBytes;
    const nan = out + outBytes;
    this._copyIn(tensor, from, to, data);
    new Float64Array(this._exports.memory.buffer, meanPtr, F * PHASES).set(mean);
    const exports = this._exports;
    exports.rmseBegin(n, ss, count, nan);
    // One call per feature, as in perCycleAndPatterns.
    for (let f = 0; f < F; f++) {
      exports.rmseAccumulate(data + f * n * PHASES * 4, 1, n, meanPtr + f * PHASES * 8, ss, count, nan);
    }
    exports.rmseEnd(n, options.nan === 'ignore' ? 1 : 0, ss, count, nan, out);
    return new Float64Array(this._exports.memory.buffer, out, n).slice();
  }

  /** Grows the memory so that `bytes` fit above the heap base; returns the (16-aligned) base. */
  private _reserve(bytes: number): number {
    const need = this._base + bytes;
    if (need > MAX_BYTES) {
      throw new RangeError(
        `the wasm kernels need ${(need / 2 ** 30).toFixed(2)} GiB of memory, over wasm32's 4 GiB: process fewer cycles at a time`
      );
    }
    const memory = this._exports.memory;
    const have = memory.buffer.byteLength;
    if (need > have) {
      memory.grow(Math.ceil((need - have) / PAGE));
    }
    return this._base;
  }

  /** Copies cycles `[from, to)` of every feature, contiguous, to `at`. */
  private _copyIn(tensor: ICycleTensor, from: number, to: number, at: number): void {
    const F = tensor.features.length;
    const C = tensor.cycles;
    const n = to - from;
    const target = new Float32Array(this._exports.memory.buffer, at, F * n * PHASES);
    if (from === 0 && to === C) {
      target.set(tensor.data.subarray(0, F * C * PHASES));
      return;
    }
    for (let f = 0; f < F; f++) {
      target.set(tensor.data.subarray((f * C + from) * PHASES, (f * C + to) * PHASES), f * n * PHASES);
    }
  }

  private _exports: IKernelExports;
  private _base: number;
}

function checkRange(tensor: ICycleTensor, from: number, to: number): number {
  const F = tensor.features.length;
  if (tensor.data.length !== F * tensor.cycles * PHASES) {
    throw new RangeError(`the tensor has ${tensor.data.length} samples, not ${F} features × ${tensor.cycles} cycles × ${PHASES}`);
  }
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > tensor.cycles) {
    throw new RangeError(`bad cycle range [${from}, ${to}) of ${tensor.cycles} cycles`);
  }
  return to - from;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

let compiled: Promise<WebAssembly.Module> | null = null;
let kernels: Promise<WasmKernels> | null = null;

/** This thread's wasm kernels, compiled and instantiated on the first call. */
export function loadWasmKernels(): Promise<WasmKernels> {
  if (!kernels) {
    kernels = (async () => {
      if (!wasmSimdSupported()) {
        throw new WasmSimdUnsupportedError();
      }
      compiled ??= WebAssembly.compile(decodeBase64(CYCLE_STATS_WASM_BASE64));
      const instance = await WebAssembly.instantiate(await compiled, {});
      return new WasmKernels(instance.exports as unknown as IKernelExports);
    })();
  }
  return kernels;
}
