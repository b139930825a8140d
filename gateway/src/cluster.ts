import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '@qsmo/service-kit/logger';

/**
 * GATEWAY_WORKERS: the gateway as N worker processes behind one port
 * (node:cluster), one service to the outside.
 *
 * Why processes: planning, result shaping and JSON are CPU work on one
 * thread; a gateway process uses one core however many the machine has.
 * Each worker is a whole gateway (it reads its config, follows the registry
 * or serves the file, has its own caches); the primary only forks, restarts
 * a worker that dies, forwards SIGTERM/SIGINT and waits for every worker to
 * drain, and aggregates /metrics (prom-client's AggregatorRegistry) so a
 * scrape of any worker reports the whole service.
 */

const METRICS_REQUEST = 'qsmo:gateway-metrics';
const READY = 'qsmo:gateway-ready';
/** A worker asks the primary to evict the other workers' response caches (of some subgraphs, or all); the primary asks each and answers when all did. */
const EVICT_ALL = 'qsmo:gateway-evict-all';
const EVICT = 'qsmo:gateway-evict';
/** A worker that does not confirm an eviction within this is killed: it must not serve what it may still hold. */
const EVICT_TIMEOUT_MS = 2_000;

interface ClusterMessage {
  type: string;
  id?: number;
  text?: string;
  error?: string;
  url?: string;
  /** An eviction's subgraphs: the responses read from them are evicted (all responses when absent). */
  subgraphs?: string[];
}

/** Options of the primary process. */
export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** Environment the workers get on top of the primary's (e.g. the supergraph file the primary composed). */
  env?: Record<string, string>;
  /** How long the primary waits for the workers to drain after a signal before killing them. */
  stopTimeoutMs: number;
}

/** Whether this process is a gateway worker forked by the primary. */
export const isWorker = (): boolean => cluster.isWorker;

/**
 * Runs the primary: forks the workers, restarts one that dies after start-up
 * (a worker that dies during start-up stops the service, since every worker
 * would fail alike), and on SIGTERM/SIGINT forwards the signal and exits once
 * all have drained (1 if any failed to).
 */
export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  const aggregator = new AggregatorRegistry();
  const ready = new Set<number>();
  let stopping = false;
  let failed = false;
  let announced = false;

  const fork = (): Worker => cluster.fork(options.env ?? {});
  const evictions = new Map<number, (workerId: number) => void>();
  let nextEviction = 0;
  const evictOthers = (origin: Worker, subgraphs: string[] | undefined): Promise<void> => {
    const others = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.id !== origin.id && w.isConnected());
    if (!others.length) return Promise.resolve();
    const id = nextEviction++;
    const waiting = new Set(others.map((w) => w.id));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const w of others)
          if (waiting.has(w.id)) {
            logger.error(`gateway worker ${w.process.pid} did not confirm a response-cache eviction within ${EVICT_TIMEOUT_MS} ms: killing it`);
            w.process.kill('SIGKILL');
          }
        evictions.delete(id);
        resolve();
      }, EVICT_TIMEOUT_MS);
      evictions.set(id, (workerId) => {
        waiting.delete(workerId);
        if (waiting.size === 0) {
          clearTimeout(timer);
          evictions.delete(id);
          resolve();
        }
      });
      for (const w of others) w.send({ type: EVICT, id, ...(subgraphs ? { subgraphs } : {}) });
    });
  };
  for (let i = 0; i < options.workers; i++) fork();

  cluster.on('message', (worker, message: ClusterMessage) => {
    if (message?.type === READY) {
      ready.add(worker.id);
      if (!announced && ready.size >= options.workers) {
        announced = true;
        logger.info(`gateway ready at ${message.url} with ${options.workers} workers`);
      }
    } else if (message?.type === EVICT_ALL) {
      void evictOthers(worker, message.subgraphs).then(() => worker.isConnected() && worker.send({ type: EVICT_ALL, id: message.id }));
    } else if (message?.type === EVICT && message.id !== undefined) {
      evictions.get(message.id)?.(worker.id);
    } else if (message?.type === METRICS_REQUEST) {
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ type: METRICS_REQUEST, id: message.id, text }),
        (error: Error) => worker.isConnected() && worker.send({ type: METRICS_REQUEST, id: message.id, error: error.message }),
      );
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = ready.delete(worker.id);
    if (code !== 0) failed = true;
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    if (!wasReady) {
      logger.error(`gateway worker ${worker.process.pid} exited during start-up (${signal ?? `code ${code}`}); stopping the other workers`);
      stop('SIGTERM');
      return;
    }
    logger.warn(`gateway worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
    failed = false;
    fork();
  });

  let stoppedAt: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppedAt !== undefined) {
      // A Ctrl-C reaches the workers and the primary alike and is often relayed twice; a later one means "now".
      if (Date.now() - stoppedAt < 1_000) return;
      logger.warn(`${signal} again: killing the workers`);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }
    stoppedAt = Date.now();
    stopping = true;
    logger.info(`${signal}: draining ${Object.keys(cluster.workers ?? {}).length} gateway workers`);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
    setTimeout(() => {
      logger.error(`gateway workers still running ${options.stopTimeoutMs} ms after ${signal}: killing them`);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, options.stopTimeoutMs).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * In a worker: its metrics join the primary's aggregate, and the worker's
 * /metrics answers with the aggregate of all workers. The HTTP service
 * serves `registry.metrics()`, so that one method of this worker's registry
 * asks the primary instead (the primary collects each worker's own metrics
 * with getMetricsAsJSON, which stays local).
 */
export function joinClusterMetrics(registry: Registry): void {
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on('message', (message: ClusterMessage) => {
    if (message?.type !== METRICS_REQUEST || message.id === undefined) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(`metrics of the other gateway workers: ${message.error}`));
    else waiting?.resolve(message.text ?? '');
  });
  registry.metrics = () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      process.send!({ type: METRICS_REQUEST, id });
    });
}

/**
 * In a worker: evicts the other workers' response caches through the
 * primary and resolves once each confirmed (or was killed for not
 * confirming), so a mutation's answer leaves only after every worker forgot
 * what it could have changed. `local` is this worker's own eviction, run
 * when another worker's mutation asks for it.
 */
export function clusterEviction(local: (subgraphs?: readonly string[]) => void): (subgraphs?: readonly string[]) => Promise<void> {
  const pending = new Map<number, () => void>();
  let next = 0;
  process.on('message', (message: ClusterMessage) => {
    if (message?.type === EVICT) {
      local(message.subgraphs);
      process.send!({ type: EVICT, id: message.id });
    } else if (message?.type === EVICT_ALL && message.id !== undefined) {
      pending.get(message.id)?.();
      pending.delete(message.id);
    }
  });
  return (subgraphs) =>
    new Promise<void>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      process.send!({ type: EVICT_ALL, id, ...(subgraphs ? { subgraphs: [...subgraphs] } : {}) });
    });
}

/** In a worker: tells the primary this worker listens. */
export function announceReady(url: string): void {
  process.send?.({ type: READY, url });
}
