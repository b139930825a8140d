import fs from 'node:fs';
import path from 'node:path';
import { EnvReader } from '@qsmo/service-kit/config';
import { composeSupergraph, CompositionError, localSubgraphSources } from './compose';
import { DEFAULT_SUPERGRAPH_OUTPUT, subgraphEndpoints } from './config';

/**
 * `npm run compose [-- out.graphql]`: composes the local subgraph
 * schemas into a supergraph file; composition errors are printed in full
 * and the exit code is non-zero.
 */
const env = new EnvReader();
const endpoints = subgraphEndpoints(env);
env.done();
const out = path.resolve(process.argv[2] ?? DEFAULT_SUPERGRAPH_OUTPUT);
try {
  const { supergraphSdl, hints } = composeSupergraph(localSubgraphSources(endpoints));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, supergraphSdl);
  for (const hint of hints) process.stderr.write(`hint: ${hint}\n`);
  process.stdout.write(`supergraph written to ${out}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof CompositionError ? error.message : String(error)}\n`);
  process.exit(1);
}
