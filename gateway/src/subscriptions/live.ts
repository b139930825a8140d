import type { ExecutionResult } from 'graphql';
import type { CatalogChange } from './feed';
import type { PreparedSubscription } from './operation';

/** Events a subscription may have waiting while its client reads slowly; past it the subscription ends with an error rather than hold memory without bound. */
export const MAX_BACKLOG = 256;

/** What a LiveSubscription needs from the gateway. */
export interface LiveSubscriptionDeps {
  prepared: PreparedSubscription;
  /** The result for one event (runOnEvent through the gateway's executor). */
  run(event: CatalogChange): Promise<ExecutionResult>;
  /** Called once, when it ends for whatever reason (client gone, drain, backlog): frees its slot, forgets it. */
  ended(): void;
  /** Called for each result handed to the transport. */
  delivered(): void;
  /** Whether a result is the last this subscription can give (its token expired): it ends after it. */
  isFinal?(result: ExecutionResult): boolean;
}

/**
 * One client's subscription as the transports (graphql-sse, graphql-ws)
 * iterate it: the events offered to it that match its marketplaces, each
 * run for its selection in order, one at a time. A plain object rather
 * than an async generator: a generator ended before its first next() never
 * runs its `finally`, and the slot it holds must always be freed.
 */
export class LiveSubscription implements AsyncIterableIterator<ExecutionResult> {
  private readonly backlog: CatalogChange[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  /** Set when it must end with one last result (an error) before completing. */
  private last: ExecutionResult | undefined;

  constructor(private readonly deps: LiveSubscriptionDeps) {}

  /** Offers an event; ignored when it is of another marketplace than those asked for. */
  offer(event: CatalogChange): void {
    if (this.finished || this.last) return;
    const { domains } = this.deps.prepared;
    if (domains && !domains.has(event.domain)) return;
    if (this.backlog.length >= MAX_BACKLOG) {
      this.backlog.length = 0;
      this.last = {
        errors: [
          {
            message: `This subscription fell ${MAX_BACKLOG} events behind (the client reads more slowly than the catalog changes): it is ended; subscribe again, and read the catalog for what changed meanwhile.`,
            extensions: { code: 'SUBSCRIPTION_BEHIND' },
          },
        ],
      } as unknown as ExecutionResult;
    } else {
      this.backlog.push(event);
    }
    this.wake?.();
  }

  /** Ends it after one last result (e.g. why it cannot go on), sent once the results before it are. */
  finish(result: ExecutionResult): void {
    if (this.finished || this.last) return;
    this.last = result;
    this.wake?.();
  }

  /** Ends it: the transport sends `complete` (SSE) or completes the operation (WebSocket). */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.backlog.length = 0;
    this.deps.ended();
    this.wake?.();
  }

  get ended(): boolean {
    return this.finished;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      if (this.finished) return { done: true, value: undefined };
      const event = this.backlog.shift();
      if (event) {
        const value = await this.deps.run(event);
        if (this.finished) return { done: true, value: undefined };
        this.deps.delivered();
        if (this.deps.isFinal?.(value)) this.end();
        return { done: false, value };
      }
      if (this.last) {
        const value = this.last;
        this.last = undefined;
        this.end();
        return { done: false, value };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return { done: true, value: undefined };
  }

  async throw(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}
