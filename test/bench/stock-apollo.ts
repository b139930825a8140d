import fs from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

/**
 * The benchmark's reference: stock @apollo/gateway and @apollo/server with
 * no tuning, on the supergraph file SUPERGRAPH_PATH, listening on PORT.
 */
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

void (async () => {
  const supergraphSdl = fs.readFileSync(process.env.SUPERGRAPH_PATH as string, 'utf8');
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
  process.stdout.write(`stock apollo ready at ${url}\n`);
})().catch((error) => { console.error(error); process.exit(1); });
