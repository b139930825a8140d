import fs from 'node:fs';
import http from 'node:http';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway';

/**
 * The benchmark's second reference: stock Hive Gateway with its defaults,
 * on the supergraph file SUPERGRAPH_PATH, listening on PORT; like the stock
 * Apollo reference, it passes on the identity header the bench signs for
 * write-mix's renames (its own propagateHeaders option).
 *
 * HIVE_BENCH_CONFIG=community runs it as the community federation benchmark
 * (graphql-hive/graphql-gateways-benchmark) configures it: inbound in-flight
 * request deduplication and JIT-compiled documents (`jit: true`, which the
 * gateway's CLI turns into the useJIT plugin, as here). With this version
 * and createGatewayRuntime, JIT answers every document with the first one
 * it compiled (`{ __typename }` then `{ __schema { ... } }` both answer
 * `{"__typename":"Query"}`), so the bench's agreement check refuses it;
 * HIVE_BENCH_CONFIG=dedup is that configuration without JIT, which answers right.
 */
void (async () => {
  const supergraph = fs.readFileSync(process.env.SUPERGRAPH_PATH as string, 'utf8');
  const config = process.env.HIVE_BENCH_CONFIG;
  const dedup = config === 'community' || config === 'dedup';
  const plugins: GatewayPlugin[] = [];
  if (config === 'community') {
    const { useJIT } = await import('@graphql-mesh/plugin-jit');
    plugins.push(useJIT() as GatewayPlugin);
  }
  const runtime = createGatewayRuntime({
    supergraph,
    logging: 'error',
    propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ 'x-qsmo-identity': request.headers.get('x-qsmo-identity') }) },
    ...(dedup ? { inboundInflightRequestDeduplication: true, plugins: () => plugins } : {}),
  });
  const server = http.createServer(runtime);
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT), '127.0.0.1', resolve));
  process.stdout.write(`stock hive${config ? ` (${config})` : ''} ready at http://127.0.0.1:${process.env.PORT}/graphql\n`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
