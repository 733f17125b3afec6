/**
 * Getting a WebGPU device for the kernels, from `navigator.gpu` (browser, worker) or from Dawn's
 * Node binding, and telling real adapters from placeholders.
 */
import { GpuKernelError, GpuKernels, type IGpuLimits } from './gpu-kernels';

/** Where this thread gets its `GPU` object (registered by the entry point). */
let provider: (() => Promise<GPU | null>) | null = null;
let kernels: Promise<GpuKernels> | null = null;

/** Register how this thread reaches WebGPU (navigator.gpu, or the `webgpu` package in Node). */
export function registerGpuProvider(get: () => Promise<GPU | null>, options: { hardwareLikely?: () => boolean } = {}): void {
  provider = get;
  hardwareLikely = options.hardwareLikely ?? null;
  kernels = null;
  probe = null;
}

/**
 * Whether a hardware GPU may be present, asked before `auto` probes: where the answer is no, the
 * probe loads no WebGPU implementation at all (Dawn's Vulkan back end prints warnings while it
 * looks for adapters on a machine without a GPU).
 */
let hardwareLikely: (() => boolean) | null = null;

/** A description of an adapter, e.g. "nvidia hopper NVIDIA H100 80GB HBM3 (vulkan)". */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  return [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ') || 'unknown adapter';
}

/** Software adapters: correct but slow (CI runs its correctness tests on them). */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const text = describeAdapter(adapter).toLowerCase();
  return (
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|software/.test(text)
  );
}

/**
 * The kernels on this thread's GPU (one device per thread, reused).
 *
 * @throws GpuKernelError when there is no WebGPU, no adapter, only Dawn's null adapter (its
 *   results are garbage), or the adapter refuses the device.
 */
export function gpuKernels(limits: Partial<IGpuLimits> = {}): Promise<GpuKernels> {
  if (!kernels) {
    kernels = openKernels(limits);
    kernels.catch(() => {
      kernels = null;
    });
  }
  return kernels;
}

let probe: Promise<{ description: string; software: boolean } | null> | null = null;

/**
 * This thread's WebGPU adapter, asked for once without opening a device or compiling a shader:
 * what `auto` needs to choose between the GPU and the CPU (null when there is none).
 */
export function probeAdapter(): Promise<{ description: string; software: boolean } | null> {
  probe ??= (async () => {
    try {
      if (hardwareLikely && !hardwareLikely()) {
        return null;
      }
      const gpu = provider ? await provider() : null;
      const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
      return adapter ? { description: describeAdapter(adapter), software: isSoftwareAdapter(adapter) } : null;
    } catch {
      return null;
    }
  })();
  return probe;
}

/** Forget the device (after a loss: the next call asks for a new one). */
export function resetGpuKernels(): void {
  void kernels?.then(k => k.dispose()).catch(() => undefined);
  kernels = null;
}

async function openKernels(limits: Partial<IGpuLimits>): Promise<GpuKernels> {
  const gpu = provider ? await provider() : null;
  if (!gpu) {
    throw new GpuKernelError('WebGPU is not available here');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new GpuKernelError('no WebGPU adapter was found');
  }
  const description = describeAdapter(adapter);
  if (
    /\bnull\b/i.test(description) ||
    (adapter.info.vendor === '' && adapter.info.architecture === '' && adapter.info.description === '')
  ) {
    throw new GpuKernelError(`refusing the placeholder adapter "${description}" (its results are not computed)`);
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'locolens',
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
        maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension
      }
    });
  } catch (error) {
    throw new GpuKernelError(`the adapter "${description}" refused a device with its own limits: ${String(error)}`);
  }
  const result = GpuKernels.create(device, `${description}${isSoftwareAdapter(adapter) ? ' (software)' : ''}`, limits);
  result.software = isSoftwareAdapter(adapter);
  return result;
}
