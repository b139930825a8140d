import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { chooseFormat, DEFAULT_ENDPOINT, parseQueryArgs, UsageError, USAGE, type Format, type QueryArgs } from './args';
import { formatErrors, postOperation, TransportError, type GraphQLResponse, type RequestOptions } from './client';
import { buildVariables, connectionToPage, leafColumns, prepareOperation, type PreparedOperation } from './operation';
import { planTidy, selectionTree, TidyPlanError } from './tidy';
import { createWriter, wideShape, type ResultWriter, type RowShape } from './writers';

/** The graph's public schema as the repository generates it (npm run codegen): the tidy shape reads which fields are lists and keys from it. */
export const SCHEMA_FILE = path.join(__dirname, '..', '..', 'operations', 'generated', 'schema.graphql');

function loadSchema(file: string): GraphQLSchema {
  try {
    return buildSchema(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `the tidy shape reads the graph's schema from ${path.relative(process.cwd(), file)}, which could not be read (${(error as Error).message}): run npm run codegen, or add --wide.`,
    );
  }
}

/** The rows' shape: tidy (planned from the operation and the schema) unless --wide. */
export function rowShape(op: PreparedOperation, wide: boolean, schemaFile: string = SCHEMA_FILE, notice?: (m: string) => void): RowShape {
  if (wide) return wideShape(leafColumns(op));
  let plan;
  try {
    plan = planTidy(selectionTree(loadSchema(schemaFile), op.document, op.operation));
  } catch (error) {
    if (!(error instanceof TidyPlanError)) throw error;
    throw new UsageError(
      `${op.label}: the tidy shape cannot be planned because ${error.message} Regenerate the schema with npm run codegen if the graph is newer, or add --wide.`,
    );
  }
  const parents = plan.omitted.filter((p) => !/(^|\.)(pageInfo|cursor|totalCount)(\.|$)/.test(p));
  if (parents.length > 0)
    notice?.(`tidy: ${parents.join(', ')} left out (fields of the records the rows sit in; their keys and names are kept): --wide keeps every field.`);
  return { headers: plan.columns.map((c) => c.header), rows: plan.rows };
}

/**
 * The query CLI's behaviour, separate from process globals so it can be
 * driven in tests: parse arguments, prepare the operation, run it once or
 * page by page, write each page as it arrives.
 */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Exit statuses: documented in USAGE. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Connection {
  path: string[];
  edges: unknown[];
  pageInfo: { hasNextPage?: unknown; endCursor?: unknown };
  totalCount?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function connectionAt(data: unknown, at: readonly string[]): Connection | undefined {
  let v: unknown = data;
  for (const k of at) v = isObject(v) ? v[k] : undefined;
  return isObject(v) && Array.isArray(v.edges) && isObject(v.pageInfo)
    ? { path: [...at], edges: v.edges, pageInfo: v.pageInfo, totalCount: v.totalCount }
    : undefined;
}

/** A progress line on stderr: rewritten in place on a terminal, at most every few seconds in a log. */
class Progress {
  private lastLog = 0;
  private drawn = false;
  constructor(
    private readonly stderr: CliIo['stderr'],
    private readonly enabled: boolean,
  ) {}

  update(text: string): void {
    if (!this.enabled) return;
    if (this.stderr.isTTY) {
      this.stderr.write(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else if (Date.now() - this.lastLog >= 2000) {
      this.stderr.write(`${text}\n`);
      this.lastLog = Date.now();
    }
  }

  /** Removes the line being redrawn, so a message can take its place. */
  clear(): void {
    if (this.drawn) this.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  done(text: string): void {
    if (!this.enabled) return;
    this.clear();
    this.stderr.write(`${text}\n`);
  }
}

const count = (n: number) => n.toLocaleString('en-US');

async function runOnce(
  op: PreparedOperation,
  variables: Record<string, unknown>,
  request: RequestOptions,
  writer: ResultWriter,
): Promise<{ response: GraphQLResponse; rows: number }> {
  const response = await postOperation(request, { query: op.query, operationName: op.operationName, variables });
  const rows = await writer.writePage(response.data);
  return { response, rows };
}

export async function runQuery(argv: readonly string[], io: CliIo): Promise<number> {
  let args: QueryArgs;
  let op: PreparedOperation;
  let variables: Record<string, unknown>;
  let format: Format;
  let shape: RowShape;
  let connectionPath: string[] | undefined;
  let outFd: number | undefined;
  try {
    args = parseQueryArgs(argv);
    if (args.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    let source: string;
    let label: string;
    if (args.file) {
      const file = path.resolve(io.cwd, args.file);
      if (!fs.existsSync(file)) throw new UsageError(`${args.file}: no such file (paths are relative to ${io.cwd}).`);
      source = fs.readFileSync(file, 'utf8');
      label = path.basename(file);
    } else {
      source = args.expression!;
      label = '-e';
    }
    op = prepareOperation(source, label, args.operationName);
    variables = buildVariables(op, args.vars, args.varsJson, args.allPages ? ['after'] : []);
    format = chooseFormat(args, io.stdout.isTTY === true);
    const endpoint = args.endpoint ?? (io.env.GRAPHQL_URL?.trim() || DEFAULT_ENDPOINT);
    if (!/^https?:\/\/[^/]+/.test(endpoint))
      throw new UsageError(`${args.endpoint ? '--endpoint' : 'GRAPHQL_URL'} "${endpoint}" is not an http(s) URL, e.g. ${DEFAULT_ENDPOINT}.`);
    args.endpoint = endpoint;
    if (args.allPages) connectionPath = connectionToPage(op);
    shape = format === 'json' ? wideShape(leafColumns(op)) : rowShape(op, args.wide, SCHEMA_FILE, (m) => io.stderr.write(`${m}\n`));
    if (args.out) {
      try {
        outFd = fs.openSync(path.resolve(io.cwd, args.out), 'w');
      } catch (error) {
        throw new UsageError(`--out ${args.out}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`query: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }

  const request: RequestOptions = { endpoint: args.endpoint, headers: args.headers, timeoutMs: args.timeoutMs };
  const outPath = args.out ? path.resolve(io.cwd, args.out) : undefined;
  const out: Writable = outFd !== undefined ? fs.createWriteStream('', { fd: outFd }) : io.stdout;
  const progress = new Progress(io.stderr, outPath !== undefined);
  const notice = (m: string) => io.stderr.write(`${m}\n`);
  let status: number = EXIT.ok;
  let writer: ResultWriter | undefined;
  let rows = 0;
  try {
    if (!args.allPages) {
      writer = createWriter(format, out, { shape, excel: args.excel, notice });
      const result = await runOnce(op, variables, request, writer);
      rows = result.rows;
      if (result.response.errors?.length) {
        io.stderr.write(`${formatErrors(result.response.errors, op.label)}\n`);
        io.stderr.write(result.response.data ? 'The answer is partial: the data the graph returned was written.\n' : 'The graph returned no data.\n');
        status = EXIT.failed;
      }
    } else {
      writer = createWriter(format, out, { shape, excel: args.excel, connectionPath, notice });
      ({ status, rows } = await runAllPages(op, variables, request, connectionPath!, writer, progress, io));
    }
    await writer?.finish();
  } catch (error) {
    if (error instanceof TransportError || error instanceof UsageError) {
      progress.clear();
      io.stderr.write(`query: ${error.message}\n`);
      status = error instanceof UsageError ? EXIT.usage : EXIT.failed;
    } else {
      throw error;
    }
  } finally {
    if (outPath) {
      out.end();
      await once(out, 'close');
      // A mistake in the command leaves no empty file behind to be mistaken for a result.
      if (status === EXIT.usage) fs.rmSync(outPath, { force: true });
    }
  }
  if (outPath && status !== EXIT.usage)
    progress.done(`${count(rows)} row(s) written to ${args.out}${status === EXIT.ok ? '' : ' (incomplete: see the errors above)'}`);
  return status;
}

async function runAllPages(
  op: PreparedOperation,
  variables: Record<string, unknown>,
  request: RequestOptions,
  connectionPath: string[],
  writer: ResultWriter,
  progress: Progress,
  io: CliIo,
): Promise<{ status: number; rows: number }> {
  let after = (variables.after as string | null | undefined) ?? null;
  let rows = 0;
  let edges = 0;
  const where = connectionPath.join('.');
  for (let page = 1; ; page++) {
    const response = await postOperation(request, { query: op.query, operationName: op.operationName, variables: { ...variables, after } });
    const connection = connectionAt(response.data, connectionPath);
    if (page === 1 && !connection) {
      if (response.errors?.length) {
        io.stderr.write(`${formatErrors(response.errors, op.label)}\nThe graph returned no page to follow.\n`);
        return { status: EXIT.failed, rows };
      }
      // A connection inside a list (one per item) or under a null parent has no single next page.
      throw new UsageError(`--all-pages found no single connection at ${where} in the result: page a connection that is not inside a list.`);
    }
    if (page === 1 && (!('hasNextPage' in connection!.pageInfo) || !('endCursor' in connection!.pageInfo))) {
      throw new UsageError(`--all-pages needs pageInfo { hasNextPage endCursor } selected on ${where}.`);
    }
    rows += await writer.writePage(response.data);
    edges += connection?.edges.length ?? 0;
    const total = typeof connection?.totalCount === 'number' ? ` of ${count(connection.totalCount)}` : '';
    progress.update(`page ${page}: ${count(edges)}${total} ${where}, ${count(rows)} row(s) written`);
    if (response.errors?.length) {
      progress.clear();
      io.stderr.write(
        `${formatErrors(response.errors, op.label)}\nStopped at page ${page} because of the errors above; the rows of pages 1-${page} were written.\n`,
      );
      return { status: EXIT.failed, rows };
    }
    if (!connection || connection.pageInfo.hasNextPage !== true) return { status: EXIT.ok, rows };
    const next = connection.pageInfo.endCursor;
    if (typeof next !== 'string' || next === after) {
      throw new TransportError(`page ${page} of ${where} says more pages follow but gives no new endCursor; stopping rather than looping.`);
    }
    after = next;
  }
}
