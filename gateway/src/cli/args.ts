/**
 * Command-line arguments of `npm run query`. Hand-parsed so every mistake
 * gets a message naming the option and what to write instead.
 */
export const FORMATS = ['table', 'json', 'csv', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

export const DEFAULT_ENDPOINT = 'http://localhost:4000/graphql';

/** Output file extensions and the format each one means. */
export const EXTENSIONS: Record<string, Format> = { csv: 'csv', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson', txt: 'table' };

export interface QueryArgs {
  /** A .graphql file holding the operation. */
  file?: string;
  /** The operation given inline with -e. */
  expression?: string;
  /** --var name=value, in the order given (a list variable takes one per occurrence). */
  vars: [string, string][];
  /** --vars-json '{...}': merged first, --var wins. */
  varsJson?: string;
  operationName?: string;
  format?: Format;
  out?: string;
  allPages: boolean;
  /** Today's wide shape (a column per leaf path) instead of the tidy one. */
  wide: boolean;
  /** CSV for Excel: UTF-8 byte order mark. */
  excel: boolean;
  endpoint?: string;
  headers: [string, string][];
  timeoutMs: number;
  help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Runs a GraphQL operation against the QSMO graph and prints the result.

Usage:
  npm run -s query -- <file.graphql | -e '{ ... }'> [options]

Options:
  -e, --expression <op>   the operation inline instead of a file
  --var name=value        a variable, typed from the operation's declaration
                          (repeat for more variables; repeat a list variable per item)
  --vars-json '{...}'     variables as a JSON object (--var wins)
  --operation <name>      which operation to run when the file holds several
  --format <f>            table | json | csv | ndjson (default: from --out's
                          extension, table on a terminal, json otherwise)
  -o, --out <file>        write to a file instead of stdout (progress on stderr);
                          the extension picks the format: ${Object.keys(EXTENSIONS)
                            .map((e) => `.${e}`)
                            .join(' ')}
  --wide                  csv, ndjson and table in the wide shape: a column per
                          field path (agency.grantsManagement.offerings.name),
                          pagination fields and parents' fields included
  --excel                 CSV for Excel: starts with a UTF-8 byte order mark, so
                          Excel shows accented letters, bullets and quotes right
  --all-pages             follow pageInfo.endCursor of the connection in the
                          operation (it must declare $after and pass it to the
                          connection) and stream every page's rows; an operation
                          with more than one connection is refused
  --endpoint <url>        the gateway's GraphQL URL (default: GRAPHQL_URL or
                          ${DEFAULT_ENDPOINT})
  -H, --header 'N: v'     an extra HTTP header (repeatable)
  --timeout <seconds>     per request (default 60)
  -h, --help              this text

CSV, table and ndjson are tidy: one row per record of the innermost list, with
the keys (ID fields) and names of the records around it, short column names (the last
segment of the path, longer only where two would clash; an alias renames a
column), sibling lists with the same fields stacked under a "group" column,
and pagination (pageInfo, cursor, totalCount) left out. --wide gives one
column per field path instead.
Exit status: 0 on success, 1 when the graph answered with errors (partial data
is still written) or could not be reached, 2 for a mistake in the command.

Examples:
  npm run -s query -- gateway/operations/agency-portfolio.graphql --var code=075 --out hhs.csv --excel
  npm run -s query -- gateway/operations/grants-offerings-page.graphql --all-pages --out grants.csv
  npm run -s query -- -e '{ qsmos { shortName leadAgency { abbreviation } } }'
`;

function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}

export function parseQueryArgs(argv: readonly string[]): QueryArgs {
  const args: QueryArgs = { vars: [], headers: [], allPages: false, wide: false, excel: false, timeoutMs: 60_000, help: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${flag} needs a value: see --help.`);
      i++;
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        args.help = true;
        break;
      case '-e':
      case '--expression':
        args.expression = value();
        break;
      case '--var': {
        const v = value();
        const at = v.indexOf('=');
        if (at <= 0) throw new UsageError(`--var ${v}: write --var name=value, e.g. --var code=075.`);
        args.vars.push([v.slice(0, at).replace(/^\$/, ''), v.slice(at + 1)]);
        break;
      }
      case '--vars-json':
        args.varsJson = value();
        break;
      case '--operation':
        args.operationName = value();
        break;
      case '--format': {
        const f = value();
        if (!isFormat(f)) throw new UsageError(`--format ${f} is not one of: ${FORMATS.join(', ')}.`);
        args.format = f;
        break;
      }
      case '-o':
      case '--out':
        args.out = value();
        break;
      case '--all-pages':
        if (inline !== undefined) throw new UsageError('--all-pages takes no value.');
        args.allPages = true;
        break;
      case '--wide':
      case '--excel':
        if (inline !== undefined) throw new UsageError(`${flag} takes no value.`);
        args[flag === '--wide' ? 'wide' : 'excel'] = true;
        break;
      case '--endpoint':
        args.endpoint = value();
        break;
      case '-H':
      case '--header': {
        const h = value();
        const colon = h.indexOf(':');
        if (colon <= 0) throw new UsageError(`--header ${h}: write --header 'Name: value'.`);
        args.headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
        break;
      }
      case '--timeout': {
        const t = value();
        const seconds = Number(t);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout ${t}: give a number of seconds above 0.`);
        args.timeoutMs = Math.round(seconds * 1000);
        break;
      }
      default:
        if (raw.startsWith('-') && raw !== '-') throw new UsageError(`unknown option ${flag}: see --help.`);
        positional.push(raw);
    }
  }
  if (args.help) return args;
  if (positional.length > 1) throw new UsageError(`give one operation file, not ${positional.length} (${positional.join(', ')}); quote -e expressions.`);
  args.file = positional[0];
  if (args.file && args.expression !== undefined) throw new UsageError('give either an operation file or -e, not both.');
  if (!args.file && args.expression === undefined)
    throw new UsageError("give an operation file (e.g. gateway/operations/agency-portfolio.graphql) or -e '{ ... }': see --help.");
  return args;
}

/** The format implied by an output file's extension, if it is one of EXTENSIONS. */
export function formatFromPath(file: string): Format | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase();
  return ext !== undefined && Object.hasOwn(EXTENSIONS, ext) ? EXTENSIONS[ext] : undefined;
}

/**
 * The output format: --format, else --out's extension, else table on a
 * terminal and json in a pipe. An --out extension that names no format is a
 * mistake (x.xlsx would otherwise get JSON in it).
 */
export function chooseFormat(args: Pick<QueryArgs, 'format' | 'out' | 'excel'>, terminal: boolean): Format {
  let format = args.format;
  if (!format && args.out) {
    format = formatFromPath(args.out);
    if (!format) {
      const ext = /\.([^./\\]+)$/.exec(args.out)?.[1];
      const known = Object.keys(EXTENSIONS)
        .map((e) => `.${e}`)
        .join(', ');
      const excel = ext?.toLowerCase().startsWith('xls') ? ' For Excel, write .csv with --excel (Excel opens it as a workbook).' : '';
      throw new UsageError(
        `--out ${args.out}: ${ext ? `.${ext} is not an output format` : 'the file name has no extension'}; use one of ${known}, or give --format.${excel}`,
      );
    }
  }
  format ??= terminal ? 'table' : 'json';
  if (args.excel && format !== 'csv') throw new UsageError(`--excel is for CSV, but the output is ${format}: add --format csv or write to a .csv file.`);
  return format;
}
