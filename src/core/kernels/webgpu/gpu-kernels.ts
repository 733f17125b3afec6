/**
 * The WebGPU backend: per-cycle features, pattern moments, per-cycle RMSE, validation flags and
 * feature/phase correlations as compute shaders, with exact float64 merges on the CPU.
 *
 * #### Notes
 * - A tensor is uploaded once per chunk of cycles and reused by every kernel of the group;
 *   pipelines and bind group layouts are made once per device. Each call encodes all its
 *   dispatches in one command buffer, submits once and reads back once: no per-cycle round trips.
 * - Inputs larger than the device's limits (`maxStorageBufferBindingSize`, `maxBufferSize`,
 *   `maxComputeWorkgroupsPerDimension`) are cut in cycle chunks whose partial results merge with
 *   the same mergeable moments as the worker pool.
 * - Validation errors, out-of-memory and a lost device raise `GpuKernelError`, never a partial or
 *   silently zero result (error scopes around every call): callers fall back to the CPU.
 */
import { correlationsOfMoments, featurePairs, mergeCoMoments } from '../co-moments';
import { LocolensError } from '../../errors';
import type { IGroupStatistics } from '../group-statistics';
import { VALIDATION_LIMITS, emptyPatternPartial, emptyPerCycleFeatures } from '../reference';
import { PHASES, type ICycleTensor, type IKernelOptions, type IPatternPartial, type IPerCycleFeatures, type IValidation } from '../types';
import { CO_MOMENTS, PATTERN_MOMENTS, PER_CYCLE, PER_CYCLE_TILE, RMSE_PARTS, VALIDATION, WORKGROUP_SIZE } from './shaders';

/** Device limits the backend respects (tests may force smaller ones). */
export interface IGpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** What the backend moved and ran, for gauges and tests. */
export interface IGpuStats {
  uploads: number;
  uploadBytes: number;
  readbacks: number;
  readbackBytes: number;
  dispatches: number;
  submits: number;
  pipelinesCreated: number;
  /** Milliseconds spent encoding (and uploading), waiting for the GPU and its read-back, and merging on the CPU. */
  encodeMs: number;
  gpuMs: number;
  mergeMs: number;
}

/** A failure of the GPU path (the caller falls back to the CPU). */
export class GpuKernelError extends LocolensError {
  constructor(message: string) {
    super('io-error', message);
    this.name = 'GpuKernelError';
  }
}

/**
 * How many values one invocation sums in f32 before the CPU merges in f64. Tolerance (stated in
 * the README): per-cycle features, patterns and RMSE within 1e-5 relative of the float64
 * reference (absolute floor 1e-5 × the feature's largest |x|); correlations within 1e-5
 * absolute. A plain f32 sum of k shifted terms carries a relative error of about k · 6e-8 at worst
 * and √k · 6e-8 typically: with 4096-sample chunks correlations near ±0.98 were 1.8e-5 off. The
 * co-moment shader therefore sums with Kahan compensation, which keeps 4096-sample chunks within
 * 1e-6 (tests against numpy on every fixture) and reads back 8× fewer partials than plain 512-sample
 * chunks. Pattern moments sum at most 256 cycles per invocation.
 */
const PATTERN_CHUNK_CYCLES = 256;
/** Samples per invocation of the feature co-moment shader (see above). */
const COMOMENT_CHUNK_SAMPLES = 4096;
/** Cycles per invocation of the phase co-moment shader (see above). */
const COMOMENT_CHUNK_CYCLES = 1024;

type Kernel = 'perCycle' | 'patterns' | 'rmse' | 'validation' | 'comoments';

const SOURCES: Record<Kernel, string> = {
  perCycle: PER_CYCLE,
  patterns: PATTERN_MOMENTS,
  rmse: RMSE_PARTS,
  validation: VALIDATION,
  comoments: CO_MOMENTS
};

interface IChunk {
  from: number;
  to: number;
  buffer: GPUBuffer;
}

interface IOutput {
  buffer: GPUBuffer;
  bytes: number;
  read: (data: ArrayBuffer) => void;
}

/** The WebGPU kernels on one device. */
export class GpuKernels {
  private constructor(
    private readonly device: GPUDevice,
    /** Adapter description, e.g. "NVIDIA H100 (vulkan)". */
    readonly adapter: string,
    readonly limits: IGpuLimits
  ) {
    void device.lost.then(info => {
      this.lostReason = info.message || info.reason || 'device lost';
    });
  }

  /**
   * Kernels on `device`.
   *
   * @param limits - override the device's limits (smaller only), e.g. to exercise chunking.
   */
  static create(device: GPUDevice, adapter: string, limits: Partial<IGpuLimits> = {}): GpuKernels {
    const own = device.limits;
    return new GpuKernels(device, adapter, {
      maxStorageBufferBindingSize: Math.min(own.maxStorageBufferBindingSize, limits.maxStorageBufferBindingSize ?? Infinity),
      maxBufferSize: Math.min(own.maxBufferSize, limits.maxBufferSize ?? Infinity),
      maxComputeWorkgroupsPerDimension: Math.min(own.maxComputeWorkgroupsPerDimension, limits.maxComputeWorkgroupsPerDimension ?? Infinity)
    });
  }

  /** Whether the adapter is a software one (set by gpu-device). */
  software = false;

  readonly stats: IGpuStats = {
    uploads: 0,
    uploadBytes: 0,
    readbacks: 0,
    readbackBytes: 0,
    dispatches: 0,
    submits: 0,
    pipelinesCreated: 0,
    encodeMs: 0,
    gpuMs: 0,
    mergeMs: 0
  };
  private lostReason: string | null = null;
  private readonly pipelines = new Map<Kernel, GPUComputePipeline>();
  private uploaded: { data: Float32Array; chunks: IChunk[] } | null = null;

  /** Kernels on the same device with smaller limits (tests exercise chunking with it). */
  withLimits(limits: Partial<IGpuLimits>): GpuKernels {
    return GpuKernels.create(this.device, this.adapter, { ...this.limits, ...limits });
  }

  /** Destroy the device (tests use it to check that a lost device fails loudly). */
  destroyDevice(): void {
    this.device.destroy();
  }

  /** Whether the device was lost (the backend is then unusable). */
  get isLost(): boolean {
    return this.lostReason !== null;
  }

  /** Per-cycle features of every cycle and the pattern moments over all cycles. */
  async perCycleAndPatterns(
    tensor: ICycleTensor,
    options: IKernelOptions
  ): Promise<{ perCycle: IPerCycleFeatures; partial: IPatternPartial }> {
    const F = tensor.features.length;
    const C = tensor.cycles;
    const perCycle = emptyPerCycleFeatures(F * C);
    const keys: Array<keyof IPerCycleFeatures> = [
      'mean',
      'std',
      'min',
      'max',
      'rom',
      'peakTiming',
      'skewness',
      'kurtosis',
      'dominantFrequency'
    ];
    const merged = emptyPatternPartial(F);
    await this.run(tensor, (chunk, n) => {
      const outputs: IOutput[] = [];
      // Per-cycle features.
      const total = F * n;
      // One workgroup per tile of PER_CYCLE_TILE cycles: invocations = workgroups × WORKGROUP_SIZE.
      const tiles = F * Math.ceil(n / PER_CYCLE_TILE);
      outputs.push(
        this.encode(
          'perCycle',
          tiles * WORKGROUP_SIZE,
          [F, n, options.nan === 'ignore' ? 1 : 0, options.ddof],
          chunk,
          [],
          total * keys.length * 4,
          data => {
            const values = new Float32Array(data);
            for (let k = 0; k < keys.length; k++) {
              const target = perCycle[keys[k]];
              for (let f = 0; f < F; f++) {
                // A native float32 → float64 copy of the chunk's cycles of one feature.
                target.set(values.subarray(k * total + f * n, k * total + (f + 1) * n), f * C + chunk.from);
              }
            }
          }
        )
      );
      // Pattern moments per chunk of cycles.
      const chunks = Math.ceil(n / PATTERN_CHUNK_CYCLES);
      outputs.push(
        this.encode('patterns', chunks * F * PHASES, [F, n, PATTERN_CHUNK_CYCLES, chunks], chunk, [], chunks * F * PHASES * 20, data => {
          // Chan's merge of each chunk's (count, shift + offset, M2) into the float64 totals.
          const values = new Float32Array(data);
          for (let k = 0; k < chunks; k++) {
            for (let cell = 0; cell < F * PHASES; cell++) {
              const o = (k * F * PHASES + cell) * 5;
              if (values[o + 4] > 0) {
                merged.nan[cell] = 1;
              }
              const nb = values[o];
              if (nb === 0) {
                continue;
              }
              const na = merged.count[cell];
              const count = na + nb;
              const delta = values[o + 1] + values[o + 2] - merged.mean[cell];
              merged.mean[cell] += (delta * nb) / count;
              merged.m2[cell] += values[o + 3] + (delta * delta * na * nb) / count;
              merged.count[cell] = count;
            }
          }
        })
      );
      return outputs;
    });
    return { perCycle, partial: merged };
  }

  /** RMSE of every cycle against a mean pattern `[feature][phase]`. */
  async cycleRmse(tensor: ICycleTensor, mean: Float64Array, options: IKernelOptions): Promise<Float64Array> {
    const F = tensor.features.length;
    const C = tensor.cycles;
    const out = new Float64Array(C);
    const meanBuffer = this.storage(Float32Array.from(mean));
    try {
      await this.run(tensor, (chunk, n) => [
        this.encode('rmse', F * n, [F, n], chunk, [meanBuffer], F * n * 12, data => {
          const values = new Float32Array(data);
          for (let c = 0; c < n; c++) {
            let ss = 0;
            let count = 0;
            let nan = false;
            for (let f = 0; f < F; f++) {
              const o = (c * F + f) * 3;
              ss += values[o];
              count += values[o + 1];
              nan ||= values[o + 2] > 0;
            }
            out[chunk.from + c] = (nan && options.nan === 'propagate') || count === 0 ? NaN : Math.sqrt(ss / count);
          }
        })
      ]);
    } finally {
      meanBuffer.destroy();
    }
    return out;
  }

  /**
   * Validation flags and correlations on the GPU. ROM overall and the summary statistics
   * (quantiles need a sort) stay on the CPU: `groupStatistics(..., ['summary'])`.
   */
  async groupStatistics(
    tensor: ICycleTensor,
    options: IKernelOptions,
    phaseCorrelations: boolean
  ): Promise<Pick<IGroupStatistics, 'validation' | 'correlations'>> {
    const F = tensor.features.length;
    const C = tensor.cycles;
    const reasons = new Uint8Array(C);
    const kinds = Uint32Array.from(tensor.features, name =>
      name.includes('angle') ? 1 : name.includes('velocity') ? 2 : name.includes('moment') ? 3 : 0
    );
    const pairs = featurePairs(F);
    const P = pairs.length / 2;
    const featureMoments = new Float64Array(P * 7);
    const phaseMoments = phaseCorrelations && C >= 2 ? new Float64Array(P * PHASES * 7) : null;
    const kindBuffer = this.storage(kinds);
    const pairBuffer = this.storage(Uint32Array.from(pairs));
    const limits = [VALIDATION_LIMITS.angle, VALIDATION_LIMITS.angleJump, VALIDATION_LIMITS.velocity, VALIDATION_LIMITS.moment];
    try {
      await this.run(tensor, (chunk, n) => {
        const outputs: IOutput[] = [
          this.encode(
            'validation',
            F * n,
            [F, n],
            chunk,
            [kindBuffer],
            F * n * 4,
            data => {
              const flags = new Uint32Array(data);
              for (let f = 0; f < F; f++) {
                for (let c = 0; c < n; c++) {
                  reasons[chunk.from + c] |= flags[f * n + c];
                }
              }
            },
            limits
          )
        ];
        const rows = n * PHASES;
        const sampleChunks = Math.ceil(rows / COMOMENT_CHUNK_SAMPLES);
        // Over all samples: rows are the feature's samples of this chunk of cycles.
        outputs.push(
          this.encode(
            'comoments',
            P * sampleChunks,
            [P, 1, sampleChunks, COMOMENT_CHUNK_SAMPLES, rows, 1, rows, 0],
            chunk,
            [pairBuffer],
            P * sampleChunks * 36,
            data => mergeGpuCoMoments(featureMoments, new Float32Array(data), P, 1, sampleChunks)
          )
        );
        if (phaseMoments) {
          const cycleChunks = Math.ceil(n / COMOMENT_CHUNK_CYCLES);
          outputs.push(
            this.encode(
              'comoments',
              P * PHASES * cycleChunks,
              [P, PHASES, cycleChunks, COMOMENT_CHUNK_CYCLES, n, PHASES, rows, 1],
              chunk,
              [pairBuffer],
              P * PHASES * cycleChunks * 36,
              data => mergeGpuCoMoments(phaseMoments, new Float32Array(data), P, PHASES, cycleChunks)
            )
          );
        }
        return outputs;
      });
    } finally {
      kindBuffer.destroy();
      pairBuffer.destroy();
    }
    const correlations = correlationsOfMoments(F, { features: featureMoments, phases: phaseMoments }, C, options);
    const validation: IValidation = { valid: Uint8Array.from(reasons, r => (r === 0 ? 1 : 0)), reasons };
    return { validation, correlations };
  }

  /** Free the uploaded tensor and the pipelines' device objects. */
  dispose(): void {
    this.release();
    this.pipelines.clear();
  }

  // --- machinery -----------------------------------------------------------------------

  /** Cycle chunks that fit the binding and buffer limits. */
  chunkRanges(tensor: ICycleTensor): Array<[number, number]> {
    const bytesPerCycle = tensor.features.length * PHASES * 4;
    const limit = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    const perChunk = Math.floor(limit / bytesPerCycle);
    if (perChunk < 1) {
      throw new GpuKernelError(
        `one cycle of ${tensor.features.length} features (${bytesPerCycle} bytes) exceeds the device's buffer limit (${limit} bytes)`
      );
    }
    const ranges: Array<[number, number]> = [];
    for (let from = 0; from < tensor.cycles; from += perChunk) {
      ranges.push([from, Math.min(tensor.cycles, from + perChunk)]);
    }
    return ranges;
  }

  /** Upload (once per tensor) and run `encodeChunk` for each chunk in one submit, then read back. */
  private async run(tensor: ICycleTensor, encodeChunk: (chunk: IChunk, cycles: number) => IOutput[]): Promise<void> {
    if (this.lostReason) {
      throw new GpuKernelError(`the GPU device was lost: ${this.lostReason}`);
    }
    if (tensor.cycles === 0) {
      return;
    }
    const device = this.device;
    const started = performance.now();
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let outputs: IOutput[] = [];
    let staging: GPUBuffer[];
    try {
      const chunks = this.upload(tensor);
      this.encoder = device.createCommandEncoder({ label: 'locolens kernels' });
      for (const chunk of chunks) {
        outputs = outputs.concat(encodeChunk(chunk, chunk.to - chunk.from));
      }
      staging = outputs.map(output => {
        const buffer = device.createBuffer({ size: output.bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        this.encoder!.copyBufferToBuffer(output.buffer, 0, buffer, 0, output.bytes);
        return buffer;
      });
      device.queue.submit([this.encoder.finish()]);
      this.stats.submits += 1;
      this.stats.encodeMs += performance.now() - started;
    } finally {
      this.encoder = null;
    }
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    const temporaries = this.temporaries;
    this.temporaries = [];
    void device.queue.onSubmittedWorkDone().then(() => temporaries.forEach(buffer => buffer.destroy()));
    const failure = validation ?? memory;
    if (failure) {
      outputs.forEach(output => output.buffer.destroy());
      staging.forEach(buffer => buffer.destroy());
      throw new GpuKernelError(
        `WebGPU ${failure === validation ? 'validation' : 'out-of-memory'} error: ${failure.message.split('\n')[0]}`
      );
    }
    const submitted = performance.now();
    try {
      await Promise.all(staging.map(buffer => buffer.mapAsync(GPUMapMode.READ)));
    } catch (error) {
      throw new GpuKernelError(`reading results back from the GPU failed: ${this.lostReason ?? String(error)}`);
    }
    if (this.lostReason) {
      throw new GpuKernelError(`the GPU device was lost: ${this.lostReason}`);
    }
    const mapped = performance.now();
    this.stats.gpuMs += mapped - submitted;
    staging.forEach((buffer, i) => {
      outputs[i].read(buffer.getMappedRange().slice(0));
      this.stats.readbacks += 1;
      this.stats.readbackBytes += outputs[i].bytes;
      buffer.unmap();
      buffer.destroy();
      outputs[i].buffer.destroy();
    });
    this.stats.mergeMs += performance.now() - mapped;
  }

  private encoder: GPUCommandEncoder | null = null;
  /** Uniform buffers of the call in flight, destroyed after its read-back. */
  private temporaries: GPUBuffer[] = [];

  /** The tensor's chunks on the device: uploaded once, kept for the next kernels of the group. */
  private upload(tensor: ICycleTensor): IChunk[] {
    if (this.uploaded?.data === tensor.data) {
      return this.uploaded.chunks;
    }
    this.release();
    const F = tensor.features.length;
    const C = tensor.cycles;
    const chunks = this.chunkRanges(tensor).map(([from, to]) => {
      const n = to - from;
      const buffer = this.device.createBuffer({
        label: 'locolens tensor',
        size: F * n * PHASES * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST
      });
      if (from === 0 && to === C) {
        this.device.queue.writeBuffer(buffer, 0, tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      } else {
        for (let f = 0; f < F; f++) {
          const start = tensor.data.byteOffset + (f * C + from) * PHASES * 4;
          this.device.queue.writeBuffer(buffer, f * n * PHASES * 4, tensor.data.buffer, start, n * PHASES * 4);
        }
      }
      this.stats.uploads += 1;
      this.stats.uploadBytes += F * n * PHASES * 4;
      return { from, to, buffer };
    });
    this.uploaded = { data: tensor.data, chunks };
    return chunks;
  }

  private release(): void {
    this.uploaded?.chunks.forEach(chunk => chunk.buffer.destroy());
    this.uploaded = null;
  }

  private storage(values: Float32Array | Uint32Array): GPUBuffer {
    const buffer = this.device.createBuffer({
      size: Math.max(16, values.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST
    });
    this.device.queue.writeBuffer(buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    return buffer;
  }

  private pipeline(kernel: Kernel): GPUComputePipeline {
    let pipeline = this.pipelines.get(kernel);
    if (!pipeline) {
      const module = this.device.createShaderModule({ label: `locolens ${kernel}`, code: SOURCES[kernel] });
      pipeline = this.device.createComputePipeline({
        label: `locolens ${kernel}`,
        layout: 'auto',
        compute: { module, entryPoint: 'main' }
      });
      this.pipelines.set(kernel, pipeline);
      this.stats.pipelinesCreated += 1;
    }
    return pipeline;
  }

  /**
   * Encode one dispatch of `invocations` on a 2-D grid of workgroups. Params: the shader's
   * leading u32 fields, then the grid's row stride where the shader expects it; `floats` are
   * f32 fields after four u32s (the validation limits).
   */
  private encode(
    kernel: Kernel,
    invocations: number,
    fields: number[],
    chunk: IChunk,
    extra: GPUBuffer[],
    outputBytes: number,
    read: (data: ArrayBuffer) => void,
    floats?: number[]
  ): IOutput {
    const groups = Math.max(1, Math.ceil(invocations / WORKGROUP_SIZE));
    const x = Math.min(groups, this.limits.maxComputeWorkgroupsPerDimension);
    const y = Math.ceil(groups / x);
    if (y > this.limits.maxComputeWorkgroupsPerDimension) {
      throw new GpuKernelError(`${invocations} invocations exceed the device's dispatch limits`);
    }
    const rowStride = x * WORKGROUP_SIZE;
    const params = new ArrayBuffer(kernel === 'comoments' ? 48 : 32);
    const u32 = new Uint32Array(params);
    const layout = PARAM_LAYOUT[kernel];
    fields.forEach((value, i) => (u32[layout.fields[i]] = value));
    u32[layout.rowStride] = rowStride;
    if (floats) {
      new Float32Array(params, 16, floats.length).set(floats);
    }
    const uniform = this.device.createBuffer({ size: params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(uniform, 0, params);
    this.temporaries.push(uniform);
    const output = this.device.createBuffer({ size: Math.max(16, outputBytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const pipeline = this.pipeline(kernel);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: chunk.buffer } },
      { binding: 1, resource: { buffer: uniform } },
      ...extra.map((buffer, i) => ({ binding: 2 + i, resource: { buffer } })),
      { binding: 2 + extra.length, resource: { buffer: output } }
    ];
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.encoder!.beginComputePass({ label: `locolens ${kernel}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    this.stats.dispatches += 1;
    return { buffer: output, bytes: Math.max(16, outputBytes), read };
  }
}

/** Where each shader's u32 parameters and grid row stride sit in its uniform. */
const PARAM_LAYOUT: Record<Kernel, { fields: number[]; rowStride: number }> = {
  perCycle: { fields: [0, 1, 2, 3], rowStride: 4 },
  patterns: { fields: [0, 1, 2, 3], rowStride: 4 },
  rmse: { fields: [0, 1], rowStride: 2 },
  validation: { fields: [0, 1], rowStride: 2 },
  comoments: { fields: [0, 1, 2, 3, 4, 5, 6, 7], rowStride: 8 }
};

/**
 * Merge per-chunk co-moments `(n, shift a, mean a − shift a, shift b, mean b − shift b, C_aa, C_bb,
 * C_ab, nan)` into float64 totals `(n, mean a, mean b, C_aa, C_bb, C_ab, nan)` per (slot, pair):
 * each chunk in the totals' layout (means rebuilt in float64), then the shared exact merge.
 */
function mergeGpuCoMoments(total: Float64Array, part: Float32Array, pairs: number, slots: number, chunks: number): void {
  const chunk = new Float64Array(slots * pairs * 7);
  for (let k = 0; k < chunks; k++) {
    for (let i = 0; i < slots * pairs; i++) {
      const o = (k * slots * pairs + i) * 9;
      const t = i * 7;
      chunk[t] = part[o];
      chunk[t + 1] = part[o + 1] + part[o + 2];
      chunk[t + 2] = part[o + 3] + part[o + 4];
      chunk[t + 3] = part[o + 5];
      chunk[t + 4] = part[o + 6];
      chunk[t + 5] = part[o + 7];
      chunk[t + 6] = part[o + 8];
    }
    mergeCoMoments(total, chunk);
  }
}
