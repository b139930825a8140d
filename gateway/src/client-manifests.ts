import type { Db } from 'mongodb';
import type { Logger } from '@qsmo/service-kit/logger';
import { ClientManifestStore, operationHash } from '@qsmo/registry/client-manifests';

/**
 * The operations frontend teams published to the registry
 * (`npm run operations:publish`), followed by polling the newest publish
 * number, as the gateway follows supergraphs: a new manifest is trusted
 * within one poll, without a restart or a pull request here. Each id was
 * checked against its body when published; it is checked again on reading,
 * so a record edited in the database cannot run one document under another's hash.
 */
export class PublishedClientDocuments {
  private documents: ReadonlyMap<string, string> = new Map();
  private seq = -1;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private failing = false;
  private readonly store: ClientManifestStore;

  constructor(
    db: Db,
    private readonly logger: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.store = new ClientManifestStore(db);
  }

  /** hash → document of every published manifest. */
  current(): ReadonlyMap<string, string> {
    return this.documents;
  }

  /** Reads once, then polls; a registry that cannot be read keeps the last documents and is logged once until it answers again. */
  async start(): Promise<this> {
    await this.poll();
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => {
        this.polling = undefined;
      });
    }, this.pollIntervalMs);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  private async poll(): Promise<void> {
    try {
      const seq = await this.store.head();
      if (seq !== this.seq) {
        const documents = new Map<string, string>();
        let clients = 0;
        for (const manifest of await this.store.all()) {
          clients++;
          for (const op of manifest.operations) {
            if (operationHash(op.body) === op.id) documents.set(op.id, op.body);
            else
              this.logger.warn(
                `client manifest ${manifest._id}: ${op.name} does not match its id and is not trusted; publish the manifest again under a new version`,
              );
          }
        }
        this.documents = documents;
        if (this.seq !== -1 || documents.size > 0) this.logger.info(`trusting ${documents.size} published client operations from ${clients} manifests`);
        this.seq = seq;
      }
      if (this.failing) this.logger.info('the registry answers again: published client operations followed');
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(
          `published client operations could not be read from the registry; still trusting the ${this.documents.size} read before: ${(error as Error).message}`,
        );
      this.failing = true;
    }
  }
}

/** The library's documents and the published ones as one map, merged again only when either changes (both hand out the same object until then). */
export function combinedDocuments(...given: ((() => ReadonlyMap<string, string>) | undefined)[]): () => ReadonlyMap<string, string> {
  const sources = given.filter((s) => s !== undefined);
  let inputs: ReadonlyMap<string, string>[] = [];
  let merged: ReadonlyMap<string, string> = new Map();
  return () => {
    const now = sources.map((s) => s());
    if (now.length !== inputs.length || now.some((m, i) => m !== inputs[i])) {
      merged = new Map(now.flatMap((m) => [...m]));
      inputs = now;
    }
    return merged;
  };
}
