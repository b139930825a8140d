import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@qsmo/service-kit/errors';
import { composeSupergraph, CompositionError, localSubgraphSources } from './compose';
import { readComposeConfig } from './compose-config';
import { DEFAULT_SUPERGRAPH_OUTPUT } from './config';

/**
 * `npm run compose [-- out.graphql]`: composes the local subgraph
 * schemas into a supergraph file; composition errors are printed in full
 * and the exit code is non-zero, as for a bad setting.
 */
let config: ReturnType<typeof readComposeConfig>;
try {
  config = readComposeConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
for (const warning of config.warnings) process.stderr.write(`warning: ${warning}\n`);
const out = path.resolve(process.argv[2] ?? DEFAULT_SUPERGRAPH_OUTPUT);
try {
  const { supergraphSdl, hints } = composeSupergraph(localSubgraphSources(config.endpoints));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, supergraphSdl);
  for (const hint of hints) process.stderr.write(`hint: ${hint}\n`);
  process.stdout.write(`supergraph written to ${out}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof CompositionError ? error.message : String(error)}\n`);
  process.exit(1);
}
