import type { SubgraphHealthCheckFunction, SupergraphManager, SupergraphSdlUpdateFunction } from '@apollo/gateway';
import type { Logger } from '@qsmo/service-kit/logger';
import type { SchemaRegistry, SupergraphVersion } from '@qsmo/registry/store';

/**
 * Feeds the gateway from the schema registry, through @apollo/gateway's
 * SupergraphManager hook.
 *
 * Start-up: serves the newest published supergraph whose subgraphs all
 * answer, looking back a few versions, so a gateway started (or scaled out)
 * after a bad publish serves what the running gateways serve. When none of
 * them answers it serves the newest anyway: partial answers (the graph's
 * designed behaviour when a subgraph is down) beat serving nothing. While
 * the registry is empty it waits (live, not ready) rather than composing
 * schemas from its own disk, which may not match what the teams deployed.
 *
 * Running: polls the registry every pollIntervalMs (one indexed query for
 * the newest version and hash; no change streams, which FerretDB lacks). A
 * newer supergraph is served only after every subgraph in it answers the
 * gateway's health query; otherwise the current one stays and the newer one
 * is tried again at the next poll, so it is served as soon as its subgraphs
 * come up. The switch itself is the gateway's: requests already executing
 * finish on the query plan and subgraph URLs they started with.
 */
export interface RegistrySupergraphManagerOptions {
  registry: SchemaRegistry;
  logger: Logger;
  pollIntervalMs: number;
  /** A health check slower than this counts as failed, so a silent subgraph cannot stall polling. */
  healthCheckTimeoutMs?: number;
  /** How many versions before the newest start-up may fall back to when the newest's subgraphs do not answer. */
  startupLookback?: number;
}

/** What /health/ready reports about the supergraph in service. */
export interface RegistrySupergraphStatus {
  source: 'registry';
  version?: number;
  hash?: string;
  servedSince?: string;
  /** A newer published supergraph the gateway does not serve yet, and why. */
  pending?: { version: number; reason: string };
}

export class RegistrySupergraphManagerStopped extends Error {
  override readonly name = 'RegistrySupergraphManagerStopped';
  constructor() {
    super('The gateway stopped before a supergraph was published to the registry.');
  }
}

export class RegistrySupergraphManager implements SupergraphManager {
  private served: { version: number; hash: string; since: Date } | undefined;
  private pending: { version: number; reason: string } | undefined;
  private update: SupergraphSdlUpdateFunction | undefined;
  private healthCheck: SubgraphHealthCheckFunction | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private readonly wake = new AbortController();
  private lastProblem: string | undefined;

  constructor(private readonly options: RegistrySupergraphManagerOptions) {}

  /** The registry version of the supergraph being served, once one is. */
  get servedVersion(): number | undefined {
    return this.served?.version;
  }

  status(): RegistrySupergraphStatus {
    return {
      source: 'registry',
      version: this.served?.version,
      hash: this.served?.hash,
      servedSince: this.served?.since.toISOString(),
      ...(this.pending ? { pending: this.pending } : {}),
    };
  }

  async initialize({ update, healthCheck }: { update: SupergraphSdlUpdateFunction; healthCheck: SubgraphHealthCheckFunction }) {
    this.update = update;
    this.healthCheck = healthCheck;
    const newest = await this.firstSupergraph();
    const { supergraph: first, skipped } = await this.lastHealthy(newest);
    this.serve(first, undefined);
    if (skipped) this.pending = skipped;
    this.schedule();
    return { supergraphSdl: first.sdl, cleanup: () => this.stop() };
  }

  private async lastHealthy(newest: SupergraphVersion): Promise<{ supergraph: SupergraphVersion; skipped?: { version: number; reason: string } }> {
    let why: string;
    try {
      await this.checkHealth(newest.sdl);
      return { supergraph: newest };
    } catch (error) {
      why = reason(error);
    }
    const { logger, registry } = this.options;
    const older = await registry.supergraphsBefore(newest.version, this.options.startupLookback ?? 5).catch(() => []);
    for (const candidate of older) {
      try {
        await this.checkHealth(candidate.sdl);
      } catch {
        continue;
      }
      const message =
        `not all subgraphs of the newest supergraph v${newest.version} answer (${why}); ` +
        `serving v${candidate.version}, the newest whose subgraphs all answer, and switching once they do.`;
      logger.warn(message);
      return { supergraph: candidate, skipped: { version: newest.version, reason: `not all of its subgraphs answer: ${why}` } };
    }
    logger.warn(
      `serving supergraph v${newest.version} although not all of its subgraphs answer (${why}); ` +
        'their fields get SUBGRAPH_UNAVAILABLE errors until they do.',
    );
    return { supergraph: newest };
  }

  /** Stops polling (and any wait for a first supergraph). Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    clearTimeout(this.timer);
    await this.polling;
  }

  private async firstSupergraph(): Promise<SupergraphVersion> {
    const { registry, logger, pollIntervalMs } = this.options;
    let lastLog = 0;
    for (;;) {
      if (this.stopped) throw new RegistrySupergraphManagerStopped();
      let message: string;
      try {
        const latest = await registry.latestSupergraph();
        if (latest) return latest;
        message =
          `no supergraph is published in the registry (${registry.db.databaseName}) yet: the gateway is live but not ready ` +
          'until one is. Publish the subgraphs with `npm run schema:publish -w subgraphs/<name>`, ' +
          'or serve a file with SUPERGRAPH_PATH, or compose the local schemas with SUPERGRAPH_SOURCE=compose.';
      } catch (error) {
        message = `cannot read the schema registry (${reason(error)}); retrying every ${pollIntervalMs} ms.`;
      }
      // Once at first, then every 30 s, so a waiting gateway says why without flooding the log.
      if (Date.now() - lastLog >= 30_000) {
        logger.warn(message);
        lastLog = Date.now();
      }
      await this.sleep(pollIntervalMs);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule();
      });
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const { registry } = this.options;
    const served = this.served!;
    let head: Pick<SupergraphVersion, 'version' | 'hash'> | null;
    try {
      head = await registry.latestSupergraphHead();
    } catch (error) {
      this.problem(`cannot read the schema registry (${reason(error)}); still serving supergraph v${served.version}.`);
      return;
    }
    if (!head || (head.version === served.version && head.hash === served.hash)) {
      this.pending = undefined;
      this.recovered();
      return;
    }
    let next: SupergraphVersion | null;
    try {
      next = await registry.supergraph(head.version);
    } catch (error) {
      this.problem(`cannot read supergraph v${head.version} from the registry (${reason(error)}); still serving v${served.version}.`);
      return;
    }
    if (!next || this.stopped) return;
    try {
      await this.checkHealth(next.sdl);
    } catch (error) {
      this.refuse(next.version, `not all of its subgraphs answer: ${reason(error)}`);
      return;
    }
    if (this.stopped) return;
    try {
      this.update!(next.sdl);
    } catch (error) {
      this.refuse(next.version, `the gateway rejected it: ${reason(error)}`);
      return;
    }
    this.serve(next, served.version);
  }

  private serve(supergraph: SupergraphVersion, previous: number | undefined): void {
    this.served = { version: supergraph.version, hash: supergraph.hash, since: new Date() };
    this.pending = undefined;
    this.lastProblem = undefined;
    const parts = supergraph.subgraphs.map((s) => `${s.name} v${s.version}`).join(', ');
    this.options.logger.info(
      previous === undefined
        ? `serving supergraph v${supergraph.version} from the registry (${parts})`
        : `switched from supergraph v${previous} to v${supergraph.version} (${parts}; changed: ${supergraph.changed.join(', ') || 'none'})`,
    );
  }

  private refuse(version: number, why: string): void {
    this.pending = { version, reason: why };
    this.problem(`not serving supergraph v${version}: ${why}. Still serving v${this.served!.version}; retrying every ${this.options.pollIntervalMs} ms.`);
  }

  /** Logs a problem once as a warning, then quietly while it persists. */
  private problem(message: string): void {
    if (message === this.lastProblem) {
      this.options.logger.debug(message);
      return;
    }
    this.lastProblem = message;
    this.options.logger.warn(message);
  }

  private recovered(): void {
    if (this.lastProblem === undefined) return;
    this.lastProblem = undefined;
    this.options.logger.info(`the schema registry answers again; serving supergraph v${this.served!.version}`);
  }

  private async checkHealth(supergraphSdl: string): Promise<void> {
    const timeoutMs = this.options.healthCheckTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the health check took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.healthCheck!(supergraphSdl), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.signal.addEventListener('abort', done);
    });
  }
}

/** The useful part of a health check failure: the gateway wraps it in a paragraph of its own. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const marker = 'The following error occurred during the health check:\n';
  const at = message.indexOf(marker);
  return (at >= 0 ? message.slice(at + marker.length) : message).replace(/\s*\n\s*/g, ' ');
}
