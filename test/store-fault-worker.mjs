/**
 * A Node decode worker (dist/node/decode-worker.mjs) whose tensor-store writes run out of space:
 * once LOCOLENS_TEST_STORE_QUOTA bytes are written, a write stores what still fits and throws
 * QuotaExceededError, as OPFS does in a browser whose quota is exhausted. For jest only
 * (src/core/store/__tests__/store-concurrency.spec.ts); nothing in locolens loads it.
 */
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quota = Number(process.env.LOCOLENS_TEST_STORE_QUOTA ?? 'Infinity');
const writeFile = fsp.writeFile;
let used = 0;
fsp.writeFile = async (path, data, ...rest) => {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (used + bytes > quota) {
    const fits = Math.max(0, quota - used);
    used = quota;
    await writeFile(path, typeof data === 'string' ? data.slice(0, fits) : data.subarray(0, fits), ...rest);
    throw new DOMException('the storage quota has been exceeded', 'QuotaExceededError');
  }
  used += bytes;
  return writeFile(path, data, ...rest);
};
syncBuiltinESMExports();

await import(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'node', 'decode-worker.mjs'));
