/**
 * WebGPU in Node through Dawn (the `webgpu` package) on the system's Vulkan driver.
 *
 * #### Notes
 * Without a GPU driver, a software Vulkan driver does the work: set `LOCOLENS_VULKAN_ICD` (or
 * Vulkan's own `VK_ICD_FILENAMES`) to its ICD file; failing that, SwiftShader shipped with
 * Debian's chromium is used when the system's drivers give no adapter. Debian's `libvulkan1`
 * provides the loader. `create(['backend=null'])` is never used: Dawn's null adapter computes nothing.
 */
import { existsSync, readdirSync } from 'node:fs';

import { registerGpuProvider } from './gpu-device';

const instances: GPU[] = [];
const CHROMIUM_SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Use the ICD named by LOCOLENS_VULKAN_ICD, if any (Vulkan's loader reads it at instance creation). */
export function configureVulkan(env: NodeJS.ProcessEnv = process.env): void {
  if (env.LOCOLENS_VULKAN_ICD) {
    env.VK_ICD_FILENAMES = env.LOCOLENS_VULKAN_ICD;
  }
  env.XDG_RUNTIME_DIR ??= '/tmp';
}

/**
 * Register Dawn's Node binding as this thread's WebGPU: the system's Vulkan drivers first; when
 * none gives an adapter (no GPU, or a software driver Dawn refuses, such as Debian 12's lavapipe),
 * SwiftShader from Debian's chromium.
 */
export function useNodeGpu(): void {
  registerGpuProvider(
    async () => {
      configureVulkan();
      let webgpu: { create(flags: string[]): GPU; globals: Record<string, unknown> };
      try {
        webgpu = (await import('webgpu')) as unknown as typeof webgpu;
      } catch {
        return null;
      }
      Object.assign(globalThis, webgpu.globals);
      const gpu = webgpu.create([]);
      // Dawn instances are kept alive: collecting one aborts the process (seen with webgpu 0.6.2).
      instances.push(gpu);
      if ((await gpu.requestAdapter()) || process.env.VK_ICD_FILENAMES || !existsSync(CHROMIUM_SWIFTSHADER)) {
        return gpu;
      }
      process.env.VK_ICD_FILENAMES = CHROMIUM_SWIFTSHADER;
      const software = webgpu.create([]);
      instances.push(software);
      return software;
    },
    { hardwareLikely: hardwareGpuLikely }
  );
}

/**
 * A GPU's device files (NVIDIA, a DRM render node, AMD's compute device) or a Vulkan driver named
 * by the environment: without any, `auto` does not probe (and Dawn prints nothing).
 */
export function hardwareGpuLikely(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LOCOLENS_VULKAN_ICD || env.VK_ICD_FILENAMES || process.platform !== 'linux') {
    return true;
  }
  try {
    return existsSync('/dev/nvidia0') || existsSync('/dev/kfd') || readdirSync('/dev/dri').some(name => name.startsWith('renderD'));
  } catch {
    return existsSync('/dev/nvidia0') || existsSync('/dev/kfd');
  }
}
