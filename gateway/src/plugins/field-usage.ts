import { TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Logger } from '@qsmo/service-kit/logger';
import { FieldUsageStore, logFlushFailure, type UsageConfig } from '@qsmo/registry/usage';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/**
 * Which schema coordinates (`Type.field`) each client's operations select,
 * counted in memory and written to the registry's field_usage collection
 * every FIELD_USAGE_FLUSH_MS and on shutdown, for usage-aware schema
 * checks. A client is named by the apollographql-client-name header, else
 * the token's subject, else "unknown"; past maxClients distinct names the
 * rest count as "other", so memory and the collection stay bounded. Only
 * operations that were planned count (a refused document selects nothing).
 */
export class FieldUsageRecorder {
  private counts = new Map<string, Map<string, number>>();
  private readonly clients = new Set<string>();
  private readonly coordinatesOf = new WeakMap<DocumentNode, readonly string[]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: FieldUsageStore,
    private readonly config: Pick<UsageConfig, 'flushIntervalMs' | 'retentionDays' | 'maxClients'>,
    private readonly logger: Logger,
  ) {}

  /** Starts the periodic flush; unref'd, so it never keeps a process alive. */
  start(): this {
    this.timer ??= setInterval(() => void this.flush(), this.config.flushIntervalMs);
    this.timer.unref();
    return this;
  }

  /** Counts one operation of `client` over `document` (parsed documents are cached by Apollo, so the walk runs once per document). */
  note(client: string, document: DocumentNode, schema: GraphQLSchema): void {
    let coordinates = this.coordinatesOf.get(document);
    if (!coordinates) {
      coordinates = schemaCoordinates(document, schema);
      this.coordinatesOf.set(document, coordinates);
    }
    const name = this.clientLabel(client);
    let byCoordinate = this.counts.get(name);
    if (!byCoordinate) this.counts.set(name, (byCoordinate = new Map()));
    for (const c of coordinates) byCoordinate.set(c, (byCoordinate.get(c) ?? 0) + 1);
  }

  private clientLabel(client: string): string {
    const name = client.slice(0, 64);
    if (this.clients.has(name)) return name;
    if (this.clients.size >= this.config.maxClients) return 'other';
    this.clients.add(name);
    return name;
  }

  /** Writes what was counted since the last flush; on failure the counts are merged back for the next one. */
  flush(at = new Date()): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.counts;
      if (batch.size === 0) return;
      this.counts = new Map();
      try {
        await this.store.record(batch, at, this.config.retentionDays);
      } catch (error) {
        for (const [client, coordinates] of batch) {
          let into = this.counts.get(client);
          if (!into) this.counts.set(client, (into = new Map()));
          for (const [c, n] of coordinates) into.set(c, (into.get(c) ?? 0) + n);
        }
        logFlushFailure(this.logger)(error);
      }
    });
    return this.flushing;
  }

  /** Stops the timer and writes the last counts: part of the gateway's shutdown, before the registry client closes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** Every `Type.field` an operation document selects, introspection and __typename left out, in first-seen order. */
export function schemaCoordinates(document: DocumentNode, schema: GraphQLSchema): string[] {
  const found = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || node.name.value.startsWith('__') || parent.name.startsWith('__') || !typeInfo.getFieldDef()) return;
        found.add(`${parent.name}.${node.name.value}`);
      },
    }),
  );
  return [...found];
}

/** Who an operation's usage is counted for. */
function clientOf(context: GatewayContext): string {
  const header = context.request.headers['apollographql-client-name']?.trim();
  return header || context.identity?.subject || 'unknown';
}

/** Records field usage per client (see FieldUsageRecorder). */
export function useFieldUsage(recorder: FieldUsageRecorder): GatewayPlugin {
  return {
    name: 'field-usage',
    apolloPlugins: [
      {
        async requestDidStart() {
          return {
            async executionDidStart(ctx) {
              recorder.note(clientOf(ctx.contextValue), ctx.document, ctx.schema);
            },
          };
        },
      },
    ],
  };
}
