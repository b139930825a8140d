import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

/** One result of a subscription as a client received it, with when (performance.now()). */
export interface Received {
  at: number;
  payload: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** A subscription a test holds: what arrived, whether it completed, and a way to wait for a result. */
export interface HeldSubscription {
  received: Received[];
  /** Set when the server completed it (SSE `complete` event, graphql-ws complete). */
  completed: boolean;
  /** Resolves with the first result (already received or still to come) that `match` accepts; rejects after `timeoutMs`. */
  waitFor(match: (r: Received) => boolean, timeoutMs: number): Promise<Received>;
  /** Resolves once the server completed it. */
  done: Promise<void>;
  close(): void;
}

function holder(): { held: HeldSubscription; push(r: Received): void; complete(): void; setClose(f: () => void): void } {
  const waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  let finish!: () => void;
  let closer = () => undefined as void;
  const held: HeldSubscription = {
    received: [],
    completed: false,
    done: new Promise<void>((r) => {
      finish = r;
    }),
    waitFor(match, timeoutMs) {
      const found = held.received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching result within ${timeoutMs} ms; received ${JSON.stringify(held.received.map((r) => r.payload)).slice(0, 2000)}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    close: () => closer(),
  };
  return {
    held,
    push(r) {
      held.received.push(r);
      for (const w of [...waiters])
        if (w.match(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(r);
        }
    },
    complete() {
      held.completed = true;
      finish();
    },
    setClose(f) {
      closer = f;
    },
  };
}

/** The answer to an SSE request that was not accepted as a stream. */
export interface SseRefusal {
  status: number;
  body: any;
}

/**
 * A subscription over GraphQL over SSE in distinct-connections mode, read
 * from the raw stream (`event: next` / `event: complete`), so tests see
 * exactly what the server sends. Resolves once the stream is open, or with
 * the refusal when it answered otherwise.
 */
export async function sseSubscribe(
  graphqlUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<HeldSubscription | SseRefusal> {
  const abort = new AbortController();
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* kept as text */
    }
    return { status: res.status, body };
  }
  const h = holder();
  h.setClose(() => abort.abort());
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(message)?.[1];
          const data = message
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (event === 'next') h.push({ at: performance.now(), payload: JSON.parse(data) });
          if (event === 'complete') h.complete();
        }
      }
    } catch {
      // Aborted by the test, or the connection was cut: what arrived is kept.
    }
  })();
  return h.held;
}

export const isRefusal = (s: HeldSubscription | SseRefusal): s is SseRefusal => 'status' in s;

/** A graphql-transport-ws connection (the graphql-ws client over ws), and how it was closed. */
export interface LiveSocket {
  client: WsClient;
  /** The close code and reason once closed. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe(query: string, variables?: Record<string, unknown>): HeldSubscription & { error?: unknown };
  dispose(): Promise<void>;
}

/** Opens a WebSocket to the gateway and waits for its connection_ack (or its closing). */
export async function wsConnect(wsUrl: string, authorization?: string): Promise<LiveSocket> {
  let closedWith!: (c: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => {
    closedWith = r;
  });
  let acked!: () => void;
  const connected = new Promise<void>((r) => {
    acked = r;
  });
  const client = createWsClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
    on: {
      connected: () => acked(),
      closed: (event) => {
        const e = event as { code: number; reason: string };
        closedWith({ code: e.code, reason: String(e.reason) });
        acked();
      },
    },
    onNonLazyError: () => undefined,
  });
  await connected;
  return {
    client,
    closed,
    subscribe(query, variables = {}) {
      const h = holder();
      const held = h.held as HeldSubscription & { error?: unknown };
      const stop = client.subscribe(
        { query, variables },
        {
          next: (payload) => h.push({ at: performance.now(), payload: payload as Received['payload'] }),
          error: (error) => {
            held.error = error;
            h.complete();
          },
          complete: () => h.complete(),
        },
      );
      h.setClose(stop);
      return held;
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}
