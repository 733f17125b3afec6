/**
 * Byte source over HTTP Range requests, e.g. the Jupyter server's authenticated `/files/` route.
 */
import { LocolensError } from '../errors';
import type { IByteSource, IByteSourceStats } from './byte-source';

/** Options of an HTTP byte source. */
export interface IHttpRangeSourceOptions {
  /** Display name (the server path). */
  name: string;
  /** Size when known, e.g. from the Contents API; otherwise a HEAD request asks. */
  size?: number;
  /** Extra request headers (authorization). */
  headers?: Record<string, string>;
  /** The fetch to use (tests may pass one bound to a server). */
  fetch?: typeof fetch;
  /** The whole file, already read (a small file whose footer read fetched it all): no request is made. */
  prefetched?: Uint8Array;
}

/**
 * A remote file read with `Range: bytes=a-b` requests.
 *
 * #### Notes
 * A server that ignores Range and answers 200 with the whole body still works (the slice is
 * cut out), but every such read counts the whole body in `stats.bytesRead`, which shows up.
 */
export class HttpRangeSource implements IByteSource {
  private constructor(
    readonly url: string,
    readonly name: string,
    readonly size: number,
    private readonly headers: Record<string, string>,
    private readonly fetcher: typeof fetch
  ) {}

  readonly stats: IByteSourceStats = { bytesRead: 0, requests: 0 };

  /** Open `url`, asking its size with HEAD when it is not given. */
  static async open(url: string, options: IHttpRangeSourceOptions): Promise<HttpRangeSource> {
    const fetcher = options.fetch ?? fetch.bind(globalThis);
    const headers = options.headers ?? {};
    let size = options.size;
    if (size === undefined) {
      const response = await HttpRangeSource.request(fetcher, url, { method: 'HEAD', headers }, options.name);
      const length = response.headers.get('Content-Length');
      if (length === null) {
        throw new LocolensError('io-error', `${options.name}: the server did not tell the file size`);
      }
      size = Number(length);
    }
    const source = new HttpRangeSource(url, options.name, size, headers, fetcher);
    if (options.prefetched && options.prefetched.byteLength === size) {
      source.prefetched = options.prefetched;
    }
    return source;
  }

  /** The whole file, when it was handed over already read. */
  private prefetched: Uint8Array | null = null;
  /** The file's version as the first range answer named it (ETag, else Last-Modified). */
  private seenVersion: string | null = null;

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) {
      return new Uint8Array(0);
    }
    if (this.prefetched) {
      return this.prefetched.slice(offset, end);
    }
    const response = await HttpRangeSource.request(
      this.fetcher,
      this.url,
      { headers: { ...this.headers, Range: `bytes=${offset}-${end - 1}` } },
      this.name
    );
    this.checkVersion(response);
    const body = new Uint8Array(await response.arrayBuffer());
    this.stats.requests += 1;
    this.stats.bytesRead += body.byteLength;
    if (response.status === 206) {
      return body;
    }
    return body.subarray(offset, end);
  }

  async close(): Promise<void> {
    // Nothing held between requests.
  }

  /**
   * Every answer must be of the file first read: the same total size (Content-Range) and the
   * same ETag or Last-Modified. Otherwise the file was overwritten between two reads, and its
   * body is not read.
   *
   * @throws LocolensError `file-changed`.
   */
  private checkVersion(response: Response): void {
    const total = /\/(\d+)$/.exec(response.headers.get('Content-Range') ?? '')?.[1];
    const version = response.headers.get('ETag') ?? response.headers.get('Last-Modified');
    const sizeChanged = total !== undefined && Number(total) !== this.size;
    const versionChanged = version !== null && this.seenVersion !== null && version !== this.seenVersion;
    if (sizeChanged || versionChanged) {
      void response.body?.cancel().catch(() => undefined);
      throw new LocolensError(
        'file-changed',
        `${this.name} changed on the server while it was being read (${sizeChanged ? `its size is now ${total} bytes` : 'a new version'}); nothing of this run was kept: run it again`
      );
    }
    this.seenVersion ??= version;
  }

  private static async request(fetcher: typeof fetch, url: string, init: RequestInit, name: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetcher(url, { credentials: 'same-origin', cache: 'no-store', ...init });
    } catch (error) {
      throw new LocolensError('io-error', `${name}: cannot reach the server (${String(error)})`);
    }
    if (response.status === 404) {
      throw new LocolensError('file-not-found', `${name}: no such file on the server`);
    }
    if (!response.ok) {
      throw new LocolensError('io-error', `${name}: the server answered ${response.status} ${response.statusText}`);
    }
    return response;
  }
}
