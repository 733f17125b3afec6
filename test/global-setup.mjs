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
  if (!existsSync(join(root, 'dist', 'node', 'decode-worker.mjs'))) {
    throw new Error('dist/node is missing: run `npm run build:node` before the tests');
  }
}
