import http from 'node:http';
import https from 'node:https';
import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';

/**
 * The gateway's HTTP client to subgraphs: one `http.request` per call on the
 * agent the caller passes (`init.agent`, as node-fetch and make-fetch-happen
 * take it; the connection-limits plugin passes its keep-alive agent per
 * subgraph), honouring `init.signal`, answering a BufferedResponse.
 *
 * Why not Apollo's default (make-fetch-happen): every call went through its
 * HTTP-cache layer, minipass streams and a retry wrapper the gateway does not
 * use (it has its own retries); in a CPU profile of the varied benchmark that
 * was about an eighth of the gateway's CPU, enough to be slower than stock
 * Apollo when the subgraphs share the machine. Node's built-in fetch has no
 * per-call agent, which the socket cap per subgraph needs.
 */
export const httpFetcher: Fetcher = (url, init = {}) =>
  new Promise<FetcherResponse>((resolve, reject) => {
    const { method = 'GET', headers, body, signal, agent } = init as FetcherRequestInit & { agent?: http.Agent; signal?: AbortSignal };
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, { method, headers, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const responseHeaders = new BufferedHeaders();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
          else if (value !== undefined) responseHeaders.set(name, value);
        }
        resolve(new BufferedResponse(Buffer.concat(chunks), res.statusCode ?? 0, res.statusMessage ?? '', responseHeaders, url));
      });
    });
    request.on('error', reject);
    request.end(body ?? undefined);
  });

/** Response headers in a Map, names lower-cased (as Node gives them); repeated ones joined with ", " as HTTP allows. */
export class BufferedHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [name, value] of init) this.append(name, value);
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const before = this.map.get(key);
    this.map.set(key, before === undefined ? value : `${before}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

/**
 * A subgraph's answer, already read whole: the fetch interface the data
 * source needs (status, headers, text/json once) over a Buffer. Why not the
 * WHATWG Response: each one builds a web stream for a body that is already
 * in memory, which with its Headers was about a twentieth of the gateway's
 * CPU on the varied benchmark.
 */
export class BufferedResponse implements FetcherResponse {
  bodyUsed = false;
  readonly redirected = false;

  constructor(
    private readonly body: Buffer,
    readonly status: number,
    readonly statusText: string,
    readonly headers: BufferedHeaders,
    readonly url: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  private take(): Buffer {
    if (this.bodyUsed) throw new TypeError('Body is unusable: it has already been read.');
    this.bodyUsed = true;
    return this.body;
  }

  async text(): Promise<string> {
    return this.take().toString('utf8');
  }
  // biome-ignore lint/suspicious/noExplicitAny: the Fetch API's own signature, which the gateway's fetcher implements
  async json(): Promise<any> {
    return JSON.parse(await this.text());
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  clone(): BufferedResponse {
    if (this.bodyUsed) throw new TypeError('Body is unusable: it has already been read.');
    return new BufferedResponse(this.body, this.status, this.statusText, new BufferedHeaders(this.headers), this.url);
  }
}
