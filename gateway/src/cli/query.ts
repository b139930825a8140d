import { runQuery } from './run';

/**
 * `npm run -s query -- <file.graphql | -e '{...}'> [options]`: runs an
 * operation against the gateway and prints it as a table, JSON, CSV or
 * ndjson. See USAGE in args.ts (or --help).
 */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // Piped into head or a closed pager: the reader has what it wanted.
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

runQuery(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.env.INIT_CWD ?? process.cwd() })
  .then((status) => {
    process.exitCode = status;
  })
  .catch((error: unknown) => {
    process.stderr.write(`query: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
