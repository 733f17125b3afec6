/**
 * A file overwritten while it is being analysed: the byte sources notice (a local file's size or
 * modification time through its open handle; an HTTP answer's total size, ETag or Last-Modified)
 * and the run fails with `file-changed`, never a result that mixes two versions; the next run reads
 * the new file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { analyzeDataset } from '../../analysis/analyze-dataset';
import { errorCode } from '../../errors';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { HttpRangeSource } from '../http-range-source';
import { NodeFileSource } from '../node-file-source';
import { fixture } from '../../../../test/fixtures';

let folder: string;
let pool: DecodePool;
let server: Server;
let base: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'locolens-changed-'));
  pool = createNodePool(2);
  // Like Jupyter's /files/: Range answers with Content-Range and the file's Last-Modified.
  server = createServer((request, response) => {
    const path = join(folder, decodeURIComponent(request.url!.replace(/^\/files\//, '')));
    const info = statSync(path);
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '')!;
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), info.size - 1);
    response.writeHead(206, {
      'Content-Length': end - start + 1,
      'Content-Range': `bytes ${start}-${end}/${info.size}`,
      'Last-Modified': info.mtime.toUTCString()
    });
    createReadStream(path, { start, end }).pipe(response);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/`;
});

afterAll(async () => {
  pool.dispose();
  await new Promise(resolve => server.close(resolve));
  rmSync(folder, { recursive: true, force: true });
});

/** Overwrite a file in place (same inode) with other content and a later modification time. */
function overwrite(path: string, content: Buffer): void {
  writeFileSync(path, content);
  const later = new Date(Date.now() + 5000);
  utimesSync(path, later, later);
}

describe('a file overwritten while it is read', () => {
  it('a local file: the next read fails with file-changed', async () => {
    const path = join(folder, 'local.parquet');
    copyFileSync(fixture('tiny_snappy.parquet'), path);
    const source = await NodeFileSource.open(path);
    expect(new TextDecoder().decode(await source.read(0, 4))).toBe('PAR1');
    overwrite(path, readFileSync(fixture('tiny_zstd.parquet')));
    const error = await source.read(0, 4).catch(e => e);
    expect(errorCode(error)).toBe('file-changed');
    expect(error.message).toBe(
      `${path} changed while it was being read (its size or modification time changed); nothing of this run was kept: run it again`
    );
    await source.close();
  });

  it('over HTTP: another total size, or the same size with a new Last-Modified, fails the read', async () => {
    const path = join(folder, 'remote.parquet');
    copyFileSync(fixture('tiny_snappy.parquet'), path);
    const source = await HttpRangeSource.open(`${base}remote.parquet`, { name: 'remote.parquet', size: statSync(path).size });
    await source.read(0, 4);
    const original = readFileSync(path);
    // Same size, new version.
    overwrite(path, original);
    expect(errorCode(await source.read(0, 4).catch(e => e))).toBe('file-changed');
    // Another size.
    const again = await HttpRangeSource.open(`${base}remote.parquet`, { name: 'remote.parquet', size: statSync(path).size });
    await again.read(0, 4);
    overwrite(path, Buffer.concat([original, Buffer.alloc(10)]));
    const error = await again.read(0, 4).catch(e => e);
    expect(errorCode(error)).toBe('file-changed');
    expect(error.message).toMatch(/remote\.parquet changed on the server while it was being read \(its size is now \d+ bytes\)/);
  });

  it('an analysis whose file is overwritten after its first row group fails with file-changed; the next run has the new numbers', async () => {
    const path = join(folder, 'analysed.parquet');
    copyFileSync(fixture('many_cycles.parquet'), path);
    const spec = { kind: 'file' as const, path };
    const summary = await inspectDataset(pool, spec);
    let overwritten = false;
    const error = await analyzeDataset(
      pool,
      spec,
      {},
      {
        summary,
        backend: 'wasm',
        onProgress: progress => {
          if (!overwritten && progress.rowGroupsDone >= 1) {
            overwritten = true;
            overwrite(path, readFileSync(fixture('multi_rowgroup.parquet')));
          }
        }
      }
    ).catch(e => e);
    expect(overwritten).toBe(true);
    expect(errorCode(error)).toBe('file-changed');
    // The pool reopens the file: the new file's numbers.
    const fresh = await inspectDataset(pool, spec);
    expect(fresh.file.rows).toBe(24600);
    const result = await analyzeDataset(pool, spec, {}, { summary: fresh, backend: 'wasm' });
    expect(result.groups.map(group => group.task).sort()).toEqual(['incline_walking', 'level_walking', 'stair_ascent']);
  });
});
