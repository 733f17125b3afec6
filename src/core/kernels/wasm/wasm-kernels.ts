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
import { coMoments as coMomentsReference, emptyCoMoments, fillTotals, type ICoMoments } from '../co-moments';
import { RADIX_LEVELS, radixBins } from '../radix-select';
import { VALIDATION_LIMITS } from '../reference';
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
  gramFeatures(data: number, features: number, n: number, scratch: number, shift: number, oMean: number, oGram: number): void;
  gramPhases(data: number, features: number, cycles: number, shift: number, oMean: number, oGram: number): void;
  validateFeature(data: number, cycles: number, kind: number, limit: number, oReasons: number): void;
  keyHistogram0(data: number, n: number, counts: number): number;
  keyHistogramUnder(data: number, n: number, shift: number, width: number, prefixes: number, prefixCount: number, counts: number): void;
  groupQuantiles(data: number, features: number, n: number, propagate: number, scratch: number, out: number): void;
  cycleShape(data: number, cycles: number, ignore: number, oSkew: number, oKurt: number, oFreq: number): void;
}

/** Everything the job computes on one chunk, in one copy into wasm memory. */
export interface IChunkKernelResults {
  perCycle: IPerCycleFeatures;
  partial: IPatternPartial;
  reasons: Uint8Array;
  moments: ICoMoments;
}

/** The largest float32 not above `limit`: |x| > it in float32 is |x| > limit for float32 x. */
function float32Below(limit: number): number {
  const f = Math.fround(limit);
  if (f <= limit) {
    return f;
  }
  const bits = new Uint32Array(new Float32Array([f]).buffer);
  bits[0] -= 1;
  return new Float32Array(bits.buffer)[0];
}

/** The validation kind of a feature name (first matching keyword, as the reference) and its limit. */
function validationKind(name: string): { kind: number; limit: number } {
  if (name.includes('angle')) {
    return { kind: 1, limit: float32Below(VALIDATION_LIMITS.angle) };
  }
  if (name.includes('velocity')) {
    return { kind: 2, limit: float32Below(VALIDATION_LIMITS.velocity) };
  }
  if (name.includes('moment')) {
    return { kind: 3, limit: float32Below(VALIDATION_LIMITS.moment) };
  }
  return { kind: 0, limit: Infinity };
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
    // Layout: data | 9 per-cycle outputs (float64) | count, mean, m2 (float64) | nan (u8).
    const dataBytes = align16(size * PHASES * 4);
    const outBytes = align16(size * 8);
    const cellBytes = align16(cells * 8);
    const base = this._reserve(dataBytes + PER_CYCLE_OUTPUTS * outBytes + 3 * cellBytes + align16(cells));
    const data = base;
    const outs = Array.from({ length: PER_CYCLE_OUTPUTS }, (_, i) => data + dataBytes + i * outBytes);
    const pCount = data + dataBytes + PER_CYCLE_OUTPUTS * outBytes;
    const pMean = pCount + cellBytes;
    const pM2 = pMean + cellBytes;
    const pNan = pM2 + cellBytes;
    this._copyIn(tensor, from, to, data);
    this._perCycleCalls(data, F, n, options, outs, pCount, pMean, pM2, pNan);
    return this._cycleOutputs(F, size, outs, pCount, pMean, pM2, pNan);
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

  /**
   * Every per-chunk kernel on one copy of the tensor: per-cycle features and pattern moments,
   * validation flags, and co-moments over all samples (and at each phase): what the analysis job
   * runs where a row group was decoded. A chunk with NaN or infinity takes the reference's
   * pairwise co-moments.
   */
  chunkKernels(tensor: ICycleTensor, options: IKernelOptions, withPhases: boolean): IChunkKernelResults {
    const F = tensor.features.length;
    const C = checkRange(tensor, 0, tensor.cycles);
    const N = C * PHASES;
    const P = (F * (F + 1)) / 2;
    const cells = F * PHASES;
    const size = F * C;
    const dataBytes = align16(size * PHASES * 4);
    const outBytes = align16(size * 8);
    const cellBytes = align16(cells * 8);
    const layout = {
      outs: dataBytes,
      cells: dataBytes + PER_CYCLE_OUTPUTS * outBytes,
      nan: dataBytes + PER_CYCLE_OUTPUTS * outBytes + 3 * cellBytes,
      reasons: dataBytes + PER_CYCLE_OUTPUTS * outBytes + 3 * cellBytes + align16(cells),
      scratch: 0,
      shift: 0,
      mean: 0,
      gram: 0,
      phaseMean: 0,
      phaseGram: 0,
      end: 0
    };
    layout.scratch = layout.reasons + align16(C);
    layout.shift = layout.scratch + align16(F * 256 * 4);
    layout.mean = layout.shift + align16(F * 152 * 4);
    layout.gram = layout.mean + align16(F * 8);
    layout.phaseMean = layout.gram + align16(P * 8);
    layout.phaseGram = layout.phaseMean + (withPhases ? cellBytes : 0);
    layout.end = layout.phaseGram + (withPhases ? align16(P * PHASES * 8) : 0);
    const base = this._reserve(layout.end);
    const at = (offset: number) => base + offset;
    this._copyIn(tensor, 0, C, base);
    const exports = this._exports;
    const outs = Array.from({ length: PER_CYCLE_OUTPUTS }, (_, i) => at(layout.outs) + i * outBytes);
    const pCount = at(layout.cells);
    const pMean = pCount + cellBytes;
    const pM2 = pMean + cellBytes;
    new Uint8Array(exports.memory.buffer, at(layout.reasons), C).fill(0);
    this._perCycleCalls(base, F, C, options, outs, pCount, pMean, pM2, at(layout.nan), (f, data) => {
      const { kind, limit } = validationKind(tensor.features[f]);
      exports.validateFeature(data, C, kind, limit, at(layout.reasons));
    });
    const { perCycle, partial } = this._cycleOutputs(F, size, outs, pCount, pMean, pM2, at(layout.nan));
    // The kernels below allocate nothing: the memory does not grow, and its buffer stays valid.
    const buffer = exports.memory.buffer;
    const reasons = new Uint8Array(buffer, at(layout.reasons), C).slice();
    let moments: ICoMoments;
    if (C === 0) {
      moments = emptyCoMoments(F, withPhases);
    } else if (reasons.some(flags => (flags & 16) !== 0)) {
      // NaN or infinity: pairwise complete samples, the reference's code.
      moments = coMomentsReference(tensor, withPhases);
    } else {
      exports.gramFeatures(base, F, N, at(layout.scratch), at(layout.shift), at(layout.mean), at(layout.gram));
      moments = emptyCoMoments(F, withPhases);
      fillTotals(moments.features, 0, F, N, new Float64Array(buffer, at(layout.mean), F), new Float64Array(buffer, at(layout.gram), P));
      if (withPhases && moments.phases) {
        exports.gramPhases(base, F, C, at(layout.shift), at(layout.phaseMean), at(layout.phaseGram));
        const phaseMean = new Float64Array(buffer, at(layout.phaseMean), cells);
        const phaseGram = new Float64Array(buffer, at(layout.phaseGram), P * PHASES);
        const slotMean = new Float64Array(F);
        for (let p = 0; p < PHASES; p++) {
          for (let f = 0; f < F; f++) {
            slotMean[f] = phaseMean[f * PHASES + p];
          }
          fillTotals(moments.phases, p, F, C, slotMean, phaseGram.subarray(p * P, (p + 1) * P));
        }
      }
    }
    return { perCycle, partial, reasons, moments };
  }

  /**
   * Add one feature's samples to a level of the radix-select histogram (see ../radix-select.ts).
   *
   * @returns the NaN samples at level 0 (0 at the other levels).
   */
  keyHistogram(samples: Float32Array, level: number, prefixes: number[], counts: Uint32Array): number {
    const n = samples.length;
    const bins = radixBins(level);
    const countBytes = align16((level === 0 ? bins : prefixes.length * bins) * 4);
    const base = this._reserve(align16(n * 4) + countBytes + align16(prefixes.length * 4 + 4));
    const countsAt = base + align16(n * 4);
    const prefixesAt = countsAt + countBytes;
    const buffer = this._exports.memory.buffer;
    new Float32Array(buffer, base, n).set(samples);
    const target = new Uint32Array(buffer, countsAt, counts.length);
    target.set(counts);
    let nan = 0;
    if (level === 0) {
      nan = this._exports.keyHistogram0(base, n, countsAt);
    } else {
      new Uint32Array(buffer, prefixesAt, prefixes.length).set(prefixes);
      const { bits, shift } = RADIX_LEVELS[level];
      this._exports.keyHistogramUnder(base, n, shift, bits, prefixesAt, prefixes.length, countsAt);
    }
    counts.set(new Uint32Array(this._exports.memory.buffer, countsAt, counts.length));
    return nan;
  }

  /**
   * Exact q25, median and q75 of each feature over the samples of some tensors (same features),
   * `[feature][3]`, as numpy.percentile's linear interpolation (see assembly/cycle-stats.ts).
   */
  quantiles(tensors: ICycleTensor[], nan: IKernelOptions['nan']): Float64Array {
    const F = tensors[0]?.features.length ?? 0;
    const n = tensors.reduce((sum, tensor) => sum + tensor.cycles * PHASES, 0);
    const dataBytes = align16(F * n * 4);
    const base = this._reserve(dataBytes + align16(n * 4) + align16(F * 24));
    const scratch = base + dataBytes;
    const out = scratch + align16(n * 4);
    const target = new Float32Array(this._exports.memory.buffer, base, F * n);
    for (let f = 0; f < F; f++) {
      let at = f * n;
      for (const tensor of tensors) {
        const slab = tensor.cycles * PHASES;
        target.set(tensor.data.subarray(f * slab, (f + 1) * slab), at);
        at += slab;
      }
    }
    this._exports.groupQuantiles(base, F, n, nan === 'propagate' ? 1 : 0, scratch, out);
    return new Float64Array(this._exports.memory.buffer, out, F * 3).slice();
  }

  /** Copies of the fused pass's outputs: per-cycle features (`[feature][cycle]`) and pattern moments. */
  private _cycleOutputs(
    F: number,
    size: number,
    outs: number[],
    pCount: number,
    pMean: number,
    pM2: number,
    pNan: number
  ): { perCycle: IPerCycleFeatures; partial: IPatternPartial } {
    const buffer = this._exports.memory.buffer;
    const cells = F * PHASES;
    const f64 = (at: number, length: number) => new Float64Array(buffer, at, length).slice();
    return {
      perCycle: {
        mean: f64(outs[0], size),
        std: f64(outs[1], size),
        min: f64(outs[2], size),
        max: f64(outs[3], size),
        rom: f64(outs[4], size),
        peakTiming: f64(outs[5], size),
        skewness: f64(outs[6], size),
        kurtosis: f64(outs[7], size),
        dominantFrequency: f64(outs[8], size)
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

  /**
   * The fused per-cycle pass, one call per feature (V8 runs a wasm function's first calls in its
   * baseline compiler and swaps in the optimized code only between calls, so one long first call
   * would run unoptimized throughout); `after` runs on each feature's data while it is in cache.
   */
  private _perCycleCalls(
    data: number,
    F: number,
    n: number,
    options: IKernelOptions,
    outs: number[],
    pCount: number,
    pMean: number,
    pM2: number,
    pNan: number,
    after?: (f: number, data: number) => void
  ): void {
    const ignore = options.nan === 'ignore' ? 1 : 0;
    for (let f = 0; f < F; f++) {
      const cyc = f * n * 8;
      const cell = f * PHASES * 8;
      const at = data + f * n * PHASES * 4;
      this._exports.perCycleAndPatterns(
        at,
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
      this._exports.cycleShape(at, n, ignore, outs[6] + cyc, outs[7] + cyc, outs[8] + cyc);
      after?.(f, at);
    }
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

/** Per-cycle outputs of the fused pass: mean, SD, min, max, ROM, peak timing, skewness, kurtosis, dominant frequency. */
const PER_CYCLE_OUTPUTS = 9;

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
