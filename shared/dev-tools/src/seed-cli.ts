import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { runSeedCli } from './seed';

/**
 * `npm run seed [-- [--reset] <subgraph>...]`: reloads the real catalog into every
 * subgraph's database, or only into the named ones. An unknown name stops
 * before anything is written, listing the names there are. A marketplace
 * its team has edited is left alone unless --reset is given.
 */
const args = process.argv.slice(2);
const names = args.filter((a) => a !== '--reset');
const unknown = names.filter((n) => !SUBGRAPHS.some((s) => s.name === n));
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown subgraph${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}: use one or more of ${SUBGRAPHS.map((s) => s.name).join(', ')}, or none for all.\n`,
  );
  process.exit(2);
}
runSeedCli(names.length === 0 ? SUBGRAPHS : SUBGRAPHS.filter((s) => names.includes(s.name)), args);
