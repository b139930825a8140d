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
 * gateway's CLI turns into the useJIT plugin, as here).
 */
void (async () => {
  const supergraph = fs.readFileSync(process.env.SUPERGRAPH_PATH as string, 'utf8');
  const community = process.env.HIVE_BENCH_CONFIG === 'community';
  const plugins: GatewayPlugin[] = [];
  if (community) {
    const { useJIT } = await import('@graphql-mesh/plugin-jit');
    plugins.push(useJIT() as GatewayPlugin);
  }
  const runtime = createGatewayRuntime({
    supergraph,
    logging: 'error',
    propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ 'x-qsmo-identity': request.headers.get('x-qsmo-identity') }) },
    ...(community ? { inboundInflightRequestDeduplication: true, plugins: () => plugins } : {}),
  });
  const server = http.createServer(runtime);
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT), '127.0.0.1', resolve));
  process.stdout.write(`stock hive${community ? ' (community benchmark config)' : ''} ready at http://127.0.0.1:${process.env.PORT}/graphql\n`);
})().catch((error) => { console.error(error); process.exit(1); });
