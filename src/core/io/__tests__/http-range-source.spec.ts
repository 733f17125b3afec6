/**
 * The browser's byte path (HTTP Range requests) against a local HTTP server that honours
 * Range like Jupyter's /files/ handler, driving the same DecodeService the Web Worker runs.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { HttpRangeSource } from '../http-range-source';
import { DecodeService } from '../../worker/decode-service';
import { WorkerPool } from '../../pool/worker-pool';
import type { DecodePool } from '../../worker/decode-service';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { useNodeParquetWasm } from '../../parquet/parquet-wasm-node';
import { errorCode } from '../../errors';
import { fixture, manifest } from '../../../../test/fixtures';

useNodeParquetWasm();

let server: Server;
let base: string;
const ranges: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = fixture(decodeURIComponent(request.url!.replace(/^\/files\//, '')));
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      response.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (request.method === 'HEAD') {
      response.writeHead(200, { 'Content-Length': size }).end();
      return;
    }
    if (!range) {
      response.writeHead(200, { 'Content-Length': size });
      createReadStream(path).pipe(response);
      return;
    }
    ranges.push(request.headers.range!);
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), size - 1);
    response.writeHead(206, { 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` });
    createReadStream(path, { start, end }).pipe(response);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/`;
});

afterAll(() => new Promise(resolve => server.close(resolve)));

/** A pool whose "worker" is a DecodeService in this thread, reading over HTTP. */
function inProcessPool(): DecodePool {
  const service = new DecodeService(async spec => {
    if (spec.kind !== 'http') {
      throw new Error('http only');
    }
    return HttpRangeSource.open(spec.url, { name: spec.name, size: spec.size });
  });
  return new WorkerPool(() => ({ api: service as never, crashed: new Promise(() => undefined), terminate: () => undefined }), 1);
}

describe('HttpRangeSource', () => {
  it('reads exact byte ranges and counts them', async () => {
    const source = await HttpRangeSource.open(`${base}tiny_snappy.parquet`, { name: 'tiny_snappy.parquet' });
    expect(source.size).toBe(manifest()['tiny_snappy.parquet'].size_bytes);
    const head = await source.read(0, 4);
    const tail = await source.read(source.size - 4, 100);
    expect(new TextDecoder().decode(head)).toBe('PAR1');
    expect(new TextDecoder().decode(tail)).toBe('PAR1');
    expect(source.stats).toEqual({ bytesRead: 8, requests: 2 });
    expect(ranges.slice(-2)).toEqual(['bytes=0-3', `bytes=${source.size - 4}-${source.size - 1}`]);
  });

  it('gives a clear error for a missing file', async () => {
    const error = await HttpRangeSource.open(`${base}nope.parquet`, { name: 'nope.parquet' }).catch(e => e);
    expect(errorCode(error)).toBe('file-not-found');
    expect(error.message).toBe('nope.parquet: no such file on the server');
  });

  it('summarizes a multi-row-group file reading a small fraction of it over HTTP', async () => {
    const expected = manifest()['multi_rowgroup.parquet'];
    const pool = inProcessPool();
    const summary = await inspectDataset(pool, {
      kind: 'http',
      url: `${base}multi_rowgroup.parquet`,
      name: 'multi_rowgroup.parquet',
      size: expected.size_bytes
    });
    expect(summary.totalCycles).toBe(expected.blocks.reduce((sum, block) => sum + block.cycles, 0));
    expect(summary.subjects).toEqual(expected.subjects);
    expect(summary.io.bytesRead / expected.size_bytes).toBeLessThan(0.15);
    expect(summary.io.requests).toBeGreaterThan(expected.row_groups);
  });
});
