/**
 * jest global setup: write the parquet fixtures with pyarrow (scripts/generate_dataset.py) and
 * the golden values with numpy (test/expected_values.py) into test-data/, once per run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function globalSetup() {
  const root = process.cwd();
  const python = process.env.LOCOLENS_PYTHON || (existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3');
  const out = join(root, 'test-data', 'fixtures');
  mkdirSync(out, { recursive: true });
  execFileSync(python, ['scripts/generate_dataset.py', '--preset', 'fixtures', '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const expected = execFileSync(python, ['test/expected_values.py', out], { maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(join(out, 'expected-values.json'), expected);
  selectWebGpuAdapter(root);
  if (!existsSync(join(root, 'dist', 'node', 'decode-worker.mjs'))) {
    throw new Error('dist/node is missing: run `npm run build:node` before the tests');
  }
}

/**
 * The WebGPU tests need a real adapter: the system's Vulkan driver, or else SwiftShader from
 * Debian's chromium. Jest copies process.env into each test's sandbox, where native code does not
 * see changes, so the driver is chosen here, in the parent process, before the tests start.
 * No adapter at all fails the run (a WebGPU test must never silently skip).
 */
function selectWebGpuAdapter(root) {
  const probe = () =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { create, globals } = await import('webgpu'); Object.assign(globalThis, globals); const a = await create([]).requestAdapter(); process.stdout.write(a ? [a.info.vendor, a.info.architecture, a.info.description].join(' ') : '');"
      ],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp' },
        stdio: ['ignore', 'pipe', 'ignore']
      }
    ).trim();
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  let adapter = probe();
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) {
    process.env.VK_ICD_FILENAMES = swiftshader;
    adapter = probe();
  }
  if (!adapter || /\bnull\b/i.test(adapter)) {
    throw new Error("no real WebGPU adapter for the tests: install Debian's chromium (SwiftShader) and libvulkan1, or a GPU driver");
  }
  console.log(
    `\nWebGPU tests run on: ${adapter}${process.env.VK_ICD_FILENAMES ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})` : ''}`
  );
}
