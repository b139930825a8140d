import fs from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

/**
 * The benchmark's reference: stock @apollo/gateway and @apollo/server with
 * no tuning, on the supergraph file SUPERGRAPH_PATH, listening on PORT.
 * One addition, Apollo's documented header-propagation recipe: the
 * identity header the bench signs for write-mix's renames goes on to the
 * subgraphs, so this gateway's renames are real writes too.
 */
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';
const IDENTITY = 'x-qsmo-identity';

interface Context {
  identity?: string;
}

class ForwardIdentity extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<Context>['willSendRequest']>>[0]): void {
    if (context.identity) request.http?.headers.set(IDENTITY, context.identity);
  }
}

void (async () => {
  const supergraphSdl = fs.readFileSync(process.env.SUPERGRAPH_PATH as string, 'utf8');
  const server = new ApolloServer<Context>({ gateway: new ApolloGateway({ supergraphSdl, buildService: ({ url }) => new ForwardIdentity({ url }) }) });
  const { url } = await startStandaloneServer(server, {
    listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
    context: async ({ req }) => {
      const identity = req.headers[IDENTITY];
      return typeof identity === 'string' ? { identity } : {};
    },
  });
  process.stdout.write(`stock apollo ready at ${url}\n`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
