import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line the registry's commands cannot act on; an empty message asks for the usage text alone (--help). */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']> & { help: { type: 'boolean'; default: false } };

/**
 * node:util's parseArgs with positionals, where an unknown or malformed
 * option and --help both become a UsageError, so each command prints its
 * usage the one way and exits 2.
 */
export function readCommandLine<O extends Options>(argv: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) throw new UsageError('');
  return parsed;
}
