// Prints each catalog change as it is committed, over GraphQL over SSE (default) or WebSocket.
//   node docs/examples/live-updates.mjs [sse|ws]
// Environment: GRAPHQL_URL (default http://localhost:4000/graphql), TOKEN (a bearer token; anonymous without),
// DOMAINS (e.g. GRANTS_MANAGEMENT,CYBERSECURITY; every marketplace without), EVENTS (stop after this many).
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.GRAPHQL_URL ?? 'http://localhost:4000/graphql';
const authorization = process.env.TOKEN ? `Bearer ${process.env.TOKEN}` : undefined;
const transport = process.argv[2] ?? 'sse';
const events = Number(process.env.EVENTS ?? Infinity);

const query = `subscription CatalogChanged($domains: [QsmoDomain!]) {
  catalogChanged(domains: $domains) {
    domain offeringId mutation version at
    offering { id name provider { name marketplaceCount } }
  }
}`;
const variables = { domains: process.env.DOMAINS ? process.env.DOMAINS.split(',') : null };

const client =
  transport === 'ws'
    ? // graphql-transport-ws: browsers cannot set headers on a WebSocket, so the token goes in connection_init.
      createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: authorization ? { authorization } : {} })
    : // GraphQL over SSE, distinct connections: one POST with Accept: text/event-stream per subscription.
      createSseClient({ url, headers: authorization ? { authorization } : {} });

let seen = 0;
for await (const result of client.iterate({ query, variables })) {
  console.log(JSON.stringify(result));
  if (++seen >= events) break;
}
await client.dispose();
