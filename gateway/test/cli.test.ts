import { PassThrough } from 'node:stream';
import { parseCsv } from '@qsmo/shared/catalog/csv';
import { formatFromPath, parseQueryArgs, UsageError } from '../src/cli/args';
import { flattenRows } from '../src/cli/flatten';
import { allPagesProblem, buildVariables, leafColumns, prepareOperation } from '../src/cli/operation';
import { findConnection } from '../src/cli/run';
import { createWriter, shortHeaders } from '../src/cli/writers';

/** The query CLI's pieces without a graph: arguments, variables, columns, flattening and the writers. */

describe('arguments', () => {
  test('a file, variables, format, output and paging', () => {
    const a = parseQueryArgs(['ops/a.graphql', '--var', 'code=075', '--var=first=10', '--format', 'csv', '-o', 'out.csv', '--all-pages', '-H', 'X-Team: grants']);
    expect(a).toMatchObject({ file: 'ops/a.graphql', vars: [['code', '075'], ['first', '10']], format: 'csv', out: 'out.csv', allPages: true, headers: [['X-Team', 'grants']] });
  });

  test('an inline operation; values may contain "="', () => {
    const a = parseQueryArgs(['-e', '{ qsmos { domain } }', '--var', 'search=a=b']);
    expect(a.expression).toBe('{ qsmos { domain } }');
    expect(a.vars).toEqual([['search', 'a=b']]);
  });

  test('mistakes say what to write instead', () => {
    const message = (argv: string[]) => { try { parseQueryArgs(argv); return ''; } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; } };
    expect(message([])).toMatch(/give an operation file/);
    expect(message(['a.graphql', '--format', 'xlsx'])).toMatch(/not one of: table, json, csv, ndjson/);
    expect(message(['a.graphql', '--var', 'code'])).toMatch(/--var name=value/);
    expect(message(['a.graphql', '--frmat', 'csv'])).toMatch(/unknown option --frmat/);
    expect(message(['a.graphql', 'b.graphql'])).toMatch(/one operation file/);
    expect(message(['a.graphql', '-e', '{ a }'])).toMatch(/not both/);
    expect(message(['a.graphql', '--out'])).toMatch(/--out needs a value/);
  });

  test('the output extension picks the format', () => {
    expect(formatFromPath('x.csv')).toBe('csv');
    expect(formatFromPath('x.jsonl')).toBe('ndjson');
    expect(formatFromPath('x.JSON')).toBe('json');
    expect(formatFromPath('x.txt')).toBeUndefined();
  });
});

const PAGE = `query Page($first: Int = 100, $after: String, $filter: OfferingFilter, $codes: [ID!], $cfo: Boolean!) {
  grantsManagement { offerings(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name: title provider { ...P } } } } }
}
fragment P on Provider { id name }`;

describe('variables are typed from the declarations', () => {
  const op = prepareOperation(PAGE, 'page.graphql');

  test('Int, Boolean, String, lists by repetition, JSON input objects, --vars-json merged first', () => {
    const v = buildVariables(op, [['first', '50'], ['cfo', 'false'], ['codes', '075'], ['codes', '070'], ['filter', '{"shelf":"FEDERAL"}']], '{"after":"abc","first":1}');
    expect(v).toEqual({ after: 'abc', first: 50, cfo: false, codes: ['075', '070'], filter: { shelf: 'FEDERAL' } });
  });

  test('bad values, unknown names and missing required variables are usage errors listing the declarations', () => {
    expect(() => buildVariables(op, [['first', 'ten'], ['cfo', 'true']])).toThrow(/\$first is Int; give a whole number/);
    expect(() => buildVariables(op, [['cfo', 'yes']])).toThrow(/give true or false/);
    expect(() => buildVariables(op, [['code', '075'], ['cfo', 'true']])).toThrow(/does not declare \$code; it declares \$first: Int, \$after: String/);
    expect(() => buildVariables(op, [])).toThrow(/needs \$cfo: Boolean!: pass --var cfo=\.\.\./);
    expect(() => buildVariables(op, [['cfo', 'true'], ['cfo', 'false']])).toThrow(/given twice/);
    expect(() => buildVariables(op, [['cfo', 'true']], '[1]')).toThrow(/must be a JSON object/);
  });

  test('syntax errors point at the file, line and column', () => {
    expect(() => prepareOperation('{ agency(code: "075") { name }', 'x.graphql')).toThrow(/^x\.graphql:1:31: Syntax Error/);
    expect(() => prepareOperation('query A { a } query B { b }', 'x.graphql')).toThrow(/choose one with --operation/);
    expect(prepareOperation('query A { a } query B { b }', 'x.graphql', 'B').operationName).toBe('B');
  });
});

describe('columns come from the selection set', () => {
  test('leaf paths in order, aliases and fragments followed', () => {
    expect(leafColumns(prepareOperation(PAGE, 'page.graphql'))).toEqual([
      'grantsManagement.offerings.totalCount',
      'grantsManagement.offerings.pageInfo.hasNextPage',
      'grantsManagement.offerings.pageInfo.endCursor',
      'grantsManagement.offerings.edges.node.id',
      'grantsManagement.offerings.edges.node.name',
      'grantsManagement.offerings.edges.node.provider.id',
      'grantsManagement.offerings.edges.node.provider.name',
    ]);
  });

  test('--all-pages needs $after declared and passed to the connection', () => {
    const path = ['grantsManagement', 'offerings'];
    expect(allPagesProblem(prepareOperation(PAGE, 'page.graphql'), path)).toBeUndefined();
    expect(allPagesProblem(prepareOperation('query { grantsManagement { offerings(first: 5) { edges { cursor } } } }', 'x.graphql'), path))
      .toMatch(/declares no \$after variable: declare \$after: String on the operation and pass after: \$after to grantsManagement\.offerings/);
    expect(allPagesProblem(prepareOperation('query($after: String) { grantsManagement { offerings(first: 5) { edges { cursor } } } }', 'x.graphql'), path))
      .toMatch(/does not pass after: \$after to it/);
  });
});

describe('flattening: one row per leaf item', () => {
  test('nested lists repeat their parents; sibling lists are not multiplied', () => {
    const rows = flattenRows({
      agency: {
        code: '075',
        grantsManagement: { offerings: [{ id: 'a', customers: [{ code: '1' }, { code: '2' }] }, { id: 'b', customers: [] }] },
        humanResources: { offerings: [{ id: 'h' }] },
        scope: ['x', 'y'],
      },
    });
    expect(rows).toEqual([
      { 'agency.code': '075', 'agency.scope': ['x', 'y'], 'agency.grantsManagement.offerings.id': 'a', 'agency.grantsManagement.offerings.customers.code': '1' },
      { 'agency.code': '075', 'agency.scope': ['x', 'y'], 'agency.grantsManagement.offerings.id': 'a', 'agency.grantsManagement.offerings.customers.code': '2' },
      { 'agency.code': '075', 'agency.scope': ['x', 'y'], 'agency.grantsManagement.offerings.id': 'b', 'agency.grantsManagement.offerings.customers': [] },
      { 'agency.code': '075', 'agency.scope': ['x', 'y'], 'agency.humanResources.offerings.id': 'h' },
    ]);
  });

  test('a one-element list stays in its own branch; objects without lists join every row', () => {
    const rows = flattenRows({ a: { one: [{ id: 1 }] }, b: { many: [{ id: 2 }, { id: 3 }] }, c: { n: 'x' } });
    expect(rows).toEqual([{ 'c.n': 'x', 'a.one.id': 1 }, { 'c.n': 'x', 'b.many.id': 2 }, { 'c.n': 'x', 'b.many.id': 3 }]);
  });

  test('an object whose lists are all empty is one row; nothing found is no row', () => {
    expect(flattenRows({ agency: { code: '099', grantsManagement: { offerings: [] } } })).toEqual([{ 'agency.code': '099', 'agency.grantsManagement.offerings': [] }]);
    expect(flattenRows({ agency: null })).toEqual([]);
    expect(flattenRows(null)).toEqual([]);
  });
});

async function render(format: 'csv' | 'json' | 'ndjson' | 'table', columns: string[], pages: unknown[], connectionPath?: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => { text += c; });
  const writer = createWriter(format, out, { columns, connectionPath });
  for (const p of pages) await writer.writePage(p);
  await writer.finish();
  return text;
}

describe('writers', () => {
  const columns = ['q.edges.node.id', 'q.edges.node.name', 'q.edges.node.tags'];
  const page = (ids: string[], next: boolean) => ({
    q: { pageInfo: { hasNextPage: next, endCursor: ids.at(-1) ?? null }, edges: ids.map((id) => ({ node: { id, name: id === 'b' ? 'Quote "q", comma' : `N ${id}`, tags: ['t1', 't2'] } })) },
  });

  test('CSV: RFC 4180 quoting, CRLF, header once across pages, lists joined with ;', async () => {
    const csv = await render('csv', columns, [page(['a', 'b'], true), page(['c'], false)]);
    expect(csv).toBe(
      'q.edges.node.id,q.edges.node.name,q.edges.node.tags\r\n' +
      'a,N a,t1;t2\r\n' +
      'b,"Quote ""q"", comma",t1;t2\r\n' +
      'c,N c,t1;t2\r\n',
    );
    expect(parseCsv(csv, 'out.csv').map((r) => r['q.edges.node.name'])).toEqual(['N a', 'Quote "q", comma', 'N c']);
    expect(await render('csv', columns, [])).toBe('q.edges.node.id,q.edges.node.name,q.edges.node.tags\r\n');
  });

  test('ndjson: one typed object per row in column order', async () => {
    const text = await render('ndjson', [...columns, 'q.pageInfo.hasNextPage'], [page(['a'], false)]);
    expect(text).toBe('{"q.edges.node.id":"a","q.edges.node.name":"N a","q.edges.node.tags":["t1","t2"],"q.pageInfo.hasNextPage":false}\n');
  });

  test('JSON over pages: one document with every edge and the last pageInfo', async () => {
    const text = await render('json', columns, [page(['a', 'b'], true), page([], true), page(['c'], false)], ['q']);
    const parsed = JSON.parse(text);
    expect(parsed.q.edges.map((e: any) => e.node.id)).toEqual(['a', 'b', 'c']);
    expect(parsed.q.pageInfo).toEqual({ hasNextPage: false, endCursor: 'c' });
    expect(text).toBe(JSON.stringify(parsed, null, 2) + '\n');
    expect(JSON.parse(await render('json', columns, [page([], false)], ['q'])).q.edges).toEqual([]);
  });

  test('table: aligned, shared prefix dropped from headers, empty columns hidden', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => { text += c; });
    const notes: string[] = [];
    const writer = createWriter('table', out, { columns: [...columns, 'q.edges.node.missing'], notice: (m) => notes.push(m) });
    await writer.writePage(page(['a'], false));
    await writer.finish();
    expect(text).toBe('id  name  tags\n--  ----  ------\na   N a   t1, t2\n');
    expect(notes).toEqual(['table: 1 column(s) empty in every row are hidden; --format csv shows all.']);
    expect(shortHeaders(['a.b.c', 'a.b.d', 'a.e'])).toEqual(['b.c', 'b.d', 'e']);
  });
});

test('the first connection is found depth first, never inside a list', () => {
  expect(findConnection({ x: [{ edges: [], pageInfo: {} }], a: { b: { edges: [1], pageInfo: { hasNextPage: false } } } })?.path).toEqual(['a', 'b']);
  expect(findConnection({ a: { b: 1 } })).toBeUndefined();
});
