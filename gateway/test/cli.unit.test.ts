import { PassThrough } from 'node:stream';
import { parseCsv } from '@qsmo/catalog/csv';
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { chooseFormat, formatFromPath, parseQueryArgs, UsageError } from '../src/cli/args';
import { flattenRows } from '../src/cli/flatten';
import { allPagesProblem, buildVariables, connectionToPage, leafColumns, prepareOperation, selectedConnections } from '../src/cli/operation';
import { rowShape, SCHEMA_FILE } from '../src/cli/run';
import { planTidy, selectionTree, selectionTreeFromData, uniqueNames } from '../src/cli/tidy';
import { createWriter, shortHeaders, UTF8_BOM, wideShape } from '../src/cli/writers';

/** The query CLI's pieces without a graph: arguments, variables, columns, flattening and the writers. */

describe('arguments', () => {
  test('a file, variables, format, output and paging', () => {
    const a = parseQueryArgs([
      'ops/a.graphql',
      '--var',
      'code=075',
      '--var=first=10',
      '--format',
      'csv',
      '-o',
      'out.csv',
      '--all-pages',
      '-H',
      'X-Team: grants',
    ]);
    expect(a).toMatchObject({
      file: 'ops/a.graphql',
      vars: [
        ['code', '075'],
        ['first', '10'],
      ],
      format: 'csv',
      out: 'out.csv',
      allPages: true,
      headers: [['X-Team', 'grants']],
    });
  });

  test('an inline operation; values may contain "="', () => {
    const a = parseQueryArgs(['-e', '{ qsmos { domain } }', '--var', 'search=a=b']);
    expect(a.expression).toBe('{ qsmos { domain } }');
    expect(a.vars).toEqual([['search', 'a=b']]);
  });

  test('mistakes say what to write instead', () => {
    const message = (argv: string[]) => {
      try {
        parseQueryArgs(argv);
        return '';
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
    };
    expect(message([])).toMatch(/give an operation file/);
    expect(message(['a.graphql', '--format', 'xlsx'])).toMatch(/not one of: table, json, csv, ndjson/);
    expect(message(['a.graphql', '--var', 'code'])).toMatch(/--var name=value/);
    expect(message(['a.graphql', '--frmat', 'csv'])).toMatch(/unknown option --frmat/);
    expect(message(['a.graphql', 'b.graphql'])).toMatch(/one operation file/);
    expect(message(['a.graphql', '-e', '{ a }'])).toMatch(/not both/);
    expect(message(['a.graphql', '--out'])).toMatch(/--out needs a value/);
    expect(message(['a.graphql', '--wide=yes'])).toMatch(/--wide takes no value/);
  });

  test('--wide and --excel are flags', () => {
    expect(parseQueryArgs(['a.graphql', '--wide', '--excel'])).toMatchObject({ wide: true, excel: true });
    expect(parseQueryArgs(['a.graphql'])).toMatchObject({ wide: false, excel: false });
  });

  test('an --out extension that names no format is a mistake naming the known ones; --excel is for CSV', () => {
    const mistake = (args: Parameters<typeof chooseFormat>[0]) => {
      try {
        chooseFormat(args, false);
        return '';
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
    };
    expect(mistake({ out: 'x.xlsx', excel: false })).toBe(
      '--out x.xlsx: .xlsx is not an output format; use one of .csv, .json, .ndjson, .jsonl, .txt, or give --format. For Excel, write .csv with --excel (Excel opens it as a workbook).',
    );
    expect(mistake({ out: 'report', excel: false })).toMatch(/^--out report: the file name has no extension; use one of \.csv/);
    expect(mistake({ out: 'x.json', excel: true })).toMatch(/--excel is for CSV, but the output is json/);
    expect(chooseFormat({ out: 'x.dat', format: 'csv', excel: true }, false)).toBe('csv');
    expect(chooseFormat({ out: 'x.txt', excel: false }, false)).toBe('table');
    expect(chooseFormat({ excel: false }, true)).toBe('table');
    expect(chooseFormat({ excel: false }, false)).toBe('json');
  });

  test('the output extension picks the format', () => {
    expect(formatFromPath('x.csv')).toBe('csv');
    expect(formatFromPath('x.jsonl')).toBe('ndjson');
    expect(formatFromPath('x.JSON')).toBe('json');
    expect(formatFromPath('x.txt')).toBe('table');
    expect(formatFromPath('x.xlsx')).toBeUndefined();
  });
});

const PAGE = `query Page($first: Int = 100, $after: String, $filter: OfferingFilter, $codes: [ID!], $cfo: Boolean!) {
  grantsManagement { offerings(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name: title provider { ...P } } } } }
}
fragment P on Provider { id name }`;

describe('variables are typed from the declarations', () => {
  const op = prepareOperation(PAGE, 'page.graphql');

  test('Int, Boolean, String, lists by repetition, JSON input objects, --vars-json merged first', () => {
    const v = buildVariables(
      op,
      [
        ['first', '50'],
        ['cfo', 'false'],
        ['codes', '075'],
        ['codes', '070'],
        ['filter', '{"shelf":"FEDERAL"}'],
      ],
      '{"after":"abc","first":1}',
    );
    expect(v).toEqual({ after: 'abc', first: 50, cfo: false, codes: ['075', '070'], filter: { shelf: 'FEDERAL' } });
  });

  test('bad values, unknown names and missing required variables are usage errors listing the declarations', () => {
    expect(() =>
      buildVariables(op, [
        ['first', 'ten'],
        ['cfo', 'true'],
      ]),
    ).toThrow(/\$first is Int; give a whole number/);
    expect(() => buildVariables(op, [['cfo', 'yes']])).toThrow(/give true or false/);
    expect(() =>
      buildVariables(op, [
        ['code', '075'],
        ['cfo', 'true'],
      ]),
    ).toThrow(/does not declare \$code; it declares \$first: Int, \$after: String/);
    expect(() => buildVariables(op, [])).toThrow(/needs \$cfo: Boolean!: pass --var cfo=\.\.\./);
    expect(() =>
      buildVariables(op, [
        ['cfo', 'true'],
        ['cfo', 'false'],
      ]),
    ).toThrow(/given twice/);
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

  test('--all-pages follows the one connection of the operation, or refuses two', () => {
    expect(connectionToPage(prepareOperation(PAGE, 'page.graphql'))).toEqual(['grantsManagement', 'offerings']);
    const two = prepareOperation(
      `query($after: String) {
      g: grantsManagement { offerings(first: 5, after: $after) { pageInfo { endCursor } edges { node { id } } } }
      h: humanResources { offerings(first: 5, after: $after) { pageInfo { endCursor } edges { node { id } } } }
    }`,
      'two.graphql',
    );
    expect(selectedConnections(two).map((c) => c.path.join('.'))).toEqual(['g.offerings', 'h.offerings']);
    expect(() => connectionToPage(two)).toThrow(
      /^--all-pages follows one connection per run, and two\.graphql selects 2: g\.offerings, h\.offerings\. Every page request repeats the whole operation/,
    );
    const nested = prepareOperation(
      'query($after: String) { agencies(first: 5, after: $after) { edges { node { code links(first: 2) { edges { node { id } } } } } } }',
      'n.graphql',
    );
    expect(() => connectionToPage(nested)).toThrow(/selects 2: agencies, agencies\.edges\.node\.links/);
    expect(() => connectionToPage(prepareOperation('{ qsmos { domain } }', 'q.graphql'))).toThrow(/found no connection in q\.graphql/);
  });

  test('--all-pages needs $after declared and passed to the connection', () => {
    const path = ['grantsManagement', 'offerings'];
    expect(allPagesProblem(prepareOperation(PAGE, 'page.graphql'), path)).toBeUndefined();
    expect(allPagesProblem(prepareOperation('query { grantsManagement { offerings(first: 5) { edges { cursor } } } }', 'x.graphql'), path)).toMatch(
      /declares no \$after variable: declare \$after: String on the operation and pass after: \$after to grantsManagement\.offerings/,
    );
    expect(
      allPagesProblem(prepareOperation('query($after: String) { grantsManagement { offerings(first: 5) { edges { cursor } } } }', 'x.graphql'), path),
    ).toMatch(/does not pass after: \$after to it/);
  });
});

describe('flattening: one row per leaf item', () => {
  test('nested lists repeat their parents; sibling lists are not multiplied', () => {
    const rows = flattenRows({
      agency: {
        code: '075',
        grantsManagement: {
          offerings: [
            { id: 'a', customers: [{ code: '1' }, { code: '2' }] },
            { id: 'b', customers: [] },
          ],
        },
        humanResources: { offerings: [{ id: 'h' }] },
        scope: ['x', 'y'],
      },
    });
    expect(rows).toEqual([
      {
        'agency.code': '075',
        'agency.scope': ['x', 'y'],
        'agency.grantsManagement.offerings.id': 'a',
        'agency.grantsManagement.offerings.customers.code': '1',
      },
      {
        'agency.code': '075',
        'agency.scope': ['x', 'y'],
        'agency.grantsManagement.offerings.id': 'a',
        'agency.grantsManagement.offerings.customers.code': '2',
      },
      { 'agency.code': '075', 'agency.scope': ['x', 'y'], 'agency.grantsManagement.offerings.id': 'b', 'agency.grantsManagement.offerings.customers': [] },
      { 'agency.code': '075', 'agency.scope': ['x', 'y'], 'agency.humanResources.offerings.id': 'h' },
    ]);
  });

  test('a one-element list stays in its own branch; objects without lists join every row', () => {
    const rows = flattenRows({ a: { one: [{ id: 1 }] }, b: { many: [{ id: 2 }, { id: 3 }] }, c: { n: 'x' } });
    expect(rows).toEqual([
      { 'c.n': 'x', 'a.one.id': 1 },
      { 'c.n': 'x', 'b.many.id': 2 },
      { 'c.n': 'x', 'b.many.id': 3 },
    ]);
  });

  test('an object whose lists are all empty is one row; nothing found is no row', () => {
    expect(flattenRows({ agency: { code: '099', grantsManagement: { offerings: [] } } })).toEqual([
      { 'agency.code': '099', 'agency.grantsManagement.offerings': [] },
    ]);
    expect(flattenRows({ agency: null })).toEqual([]);
    expect(flattenRows(null)).toEqual([]);
  });
});

async function render(
  format: 'csv' | 'json' | 'ndjson' | 'table',
  columns: string[],
  pages: unknown[],
  connectionPath?: string[],
  excel = false,
): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => {
    text += c;
  });
  const writer = createWriter(format, out, { shape: wideShape(columns), connectionPath, excel });
  for (const p of pages) await writer.writePage(p);
  await writer.finish();
  return text;
}

describe('writers', () => {
  const columns = ['q.edges.node.id', 'q.edges.node.name', 'q.edges.node.tags'];
  const page = (ids: string[], next: boolean) => ({
    q: {
      pageInfo: { hasNextPage: next, endCursor: ids.at(-1) ?? null },
      edges: ids.map((id) => ({ node: { id, name: id === 'b' ? 'Quote "q", comma' : `N ${id}`, tags: ['t1', 't2'] } })),
    },
  });

  test('CSV: RFC 4180 quoting, CRLF, header once across pages, lists joined with ;', async () => {
    const csv = await render('csv', columns, [page(['a', 'b'], true), page(['c'], false)]);
    expect(csv).toBe('q.edges.node.id,q.edges.node.name,q.edges.node.tags\r\n' + 'a,N a,t1;t2\r\n' + 'b,"Quote ""q"", comma",t1;t2\r\n' + 'c,N c,t1;t2\r\n');
    expect(parseCsv(csv, 'out.csv').map((r) => r['q.edges.node.name'])).toEqual(['N a', 'Quote "q", comma', 'N c']);
    expect(await render('csv', columns, [])).toBe('q.edges.node.id,q.edges.node.name,q.edges.node.tags\r\n');
  });

  test('CSV for Excel: a byte order mark first, once', async () => {
    const csv = await render('csv', columns, [page(['a'], true), page(['c'], false)], undefined, true);
    expect(csv.startsWith(`${UTF8_BOM}q.edges.node.id,`)).toBe(true);
    expect(csv.split(UTF8_BOM)).toHaveLength(2);
    expect(await render('csv', columns, [], undefined, true)).toBe(`${UTF8_BOM}q.edges.node.id,q.edges.node.name,q.edges.node.tags\r\n`);
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
    out.on('data', (c) => {
      text += c;
    });
    const notes: string[] = [];
    const writer = createWriter('table', out, { shape: wideShape([...columns, 'q.edges.node.missing']), notice: (m) => notes.push(m) });
    await writer.writePage(page(['a'], false));
    await writer.finish();
    expect(text).toBe('id  name  tags\n--  ----  ------\na   N a   t1, t2\n');
    expect(notes).toEqual(['table: 1 column(s) empty in every row are hidden; --format csv shows all.']);
    expect(shortHeaders(['a.b.c', 'a.b.d', 'a.e'])).toEqual(['b.c', 'b.d', 'e']);
  });
});

const schema = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const plan = (source: string) => {
  const op = prepareOperation(source, 'x.graphql');
  return planTidy(selectionTree(schema, op.document, op.operation));
};
const OPERATIONS = path.join(__dirname, '..', 'operations');
const portfolio = () => plan(fs.readFileSync(path.join(OPERATIONS, 'agency-portfolio.graphql'), 'utf8'));

describe('the tidy shape', () => {
  test("the portfolio: one row per offering, the agency's key and name, the four marketplaces stacked under group, 12 columns", () => {
    const p = portfolio();
    expect(p.columns.map((c) => c.header)).toEqual([
      'code',
      'agency.name',
      'group',
      'offerings.id',
      'offerings.name',
      'shelf',
      'provider.id',
      'provider.name',
      'value',
      'from',
      'verification',
      'caveat',
    ]);
    expect(p.omitted).toEqual(['agency.abbreviation']);
    const offering = (id: string) => ({
      id,
      name: `N ${id}`,
      shelf: 'FEDERAL',
      provider: { id: 'p', name: 'P' },
      listing: { statedOn: null, verification: null, caveat: null },
    });
    const rows = p.rows({
      agency: {
        code: '075',
        name: 'HHS',
        abbreviation: 'HHS',
        financialManagement: { offerings: [] },
        humanResources: {
          offerings: [{ ...offering('hr-1'), listing: { statedOn: { value: '2005-04-17', from: '2005-04-17' }, verification: 'CONFIRMED', caveat: null } }],
        },
        grantsManagement: { offerings: [offering('grm-1'), offering('grm-2')] },
        cybersecurity: { offerings: [] },
      },
    });
    expect(rows).toEqual([
      ['075', 'HHS', 'humanResources', 'hr-1', 'N hr-1', 'FEDERAL', 'p', 'P', '2005-04-17', '2005-04-17', 'CONFIRMED', null],
      ['075', 'HHS', 'grantsManagement', 'grm-1', 'N grm-1', 'FEDERAL', 'p', 'P', null, null, null, null],
      ['075', 'HHS', 'grantsManagement', 'grm-2', 'N grm-2', 'FEDERAL', 'p', 'P', null, null, null, null],
    ]);
    // An agency with no offering anywhere is one row with its key; an unknown one is none.
    expect(
      p.rows({
        agency: {
          code: '099',
          name: 'X',
          abbreviation: '',
          financialManagement: { offerings: [] },
          humanResources: { offerings: [] },
          grantsManagement: { offerings: [] },
          cybersecurity: { offerings: [] },
        },
      }),
    ).toEqual([['099', 'X', null, null, null, null, null, null, null, null, null, null]]);
    expect(p.rows({ agency: null })).toEqual([]);
  });

  test('a connection: edges and node vanish from names, pageInfo, cursor and totalCount are left out', () => {
    const p = plan(fs.readFileSync(path.join(OPERATIONS, 'grants-offerings-page.graphql'), 'utf8'));
    expect(p.columns.map((c) => c.header)).toEqual([
      'offerings.id',
      'offerings.name',
      'category',
      'shelf',
      'verification',
      'launchedOn',
      'provider.id',
      'provider.name',
    ]);
    expect(p.omitted).toEqual([
      'grantsManagement.offerings.totalCount',
      'grantsManagement.offerings.pageInfo.hasNextPage',
      'grantsManagement.offerings.pageInfo.endCursor',
      'grantsManagement.offerings.edges.cursor',
    ]);
  });

  test('nested lists: the parents give their keys and names; an alias renames a column', () => {
    const p = plan(`{ grantsManagement { capability(code: "GRM.030") { code name level children { code activity: name offerings { id name } } } } }`);
    expect(p.columns.map((c) => c.header)).toEqual(['capability.code', 'capability.name', 'children.code', 'activity', 'id', 'offerings.name']);
    expect(p.omitted).toEqual(['grantsManagement.capability.level']);
    expect(
      p.rows({
        grantsManagement: {
          capability: {
            code: 'GRM.030',
            name: 'F',
            level: 'FUNCTION',
            children: [
              {
                code: 'GRM.030.010',
                activity: 'A',
                offerings: [
                  { id: 'o1', name: 'O1' },
                  { id: 'o2', name: 'O2' },
                ],
              },
              { code: 'GRM.030.020', activity: 'B', offerings: [] },
            ],
          },
        },
      }),
    ).toEqual([
      ['GRM.030', 'F', 'GRM.030.010', 'A', 'o1', 'O1'],
      ['GRM.030', 'F', 'GRM.030.010', 'A', 'o2', 'O2'],
      ['GRM.030', 'F', 'GRM.030.020', 'B', null, null],
    ]);
  });

  test('without a list the result is one record with every field; sibling lists of different shapes keep their own columns', () => {
    expect(plan('{ agency(code: "075") { code name cfoAct } }').columns.map((c) => c.header)).toEqual(['code', 'name', 'cfoAct']);
    const totals = plan(fs.readFileSync(path.join(OPERATIONS, 'marketplace-totals.graphql'), 'utf8'));
    expect(totals.columns.map((c) => c.header)).toEqual([
      'stats.offeringCount',
      'customerCount',
      'shelf',
      'byShelf.count',
      'verification',
      'byVerification.count',
      'code',
      'name',
      'capabilityCoverage.offeringCount',
      'shortName',
    ]);
  });

  test('a field the schema does not know is a usage error that says how to go on', () => {
    const op = prepareOperation('{ agency(code: "075") { code nickname } }', 'x.graphql');
    expect(() => rowShape(op, false)).toThrow(
      /^x\.graphql: the tidy shape cannot be planned because the schema has no field Agency\.nickname\. .*npm run codegen.*--wide/,
    );
    expect(rowShape(op, true).headers).toEqual(['agency.code', 'agency.nickname']);
  });

  test('read off data when there is no schema (the IDE before its schema loads)', () => {
    const data = {
      agencies: { edges: [{ node: { code: '075', name: 'HHS', offerings: [{ id: 'a' }] } }, { node: { code: '012', name: 'USDA', offerings: [] } }] },
    };
    const p = planTidy(selectionTreeFromData(data));
    expect(p.columns.map((c) => c.header)).toEqual(['code', 'name', 'id']);
    expect(p.rows(data)).toEqual([
      ['075', 'HHS', 'a'],
      ['012', 'USDA', null],
    ]);
  });

  test('names: the last segment, longer only where two clash', () => {
    expect(
      uniqueNames([
        ['a', 'name'],
        ['a', 'b', 'name'],
        ['a', 'b', 'shelf'],
        ['x', 'y'],
        ['z', 'y'],
      ]),
    ).toEqual(['a.name', 'b.name', 'shelf', 'x.y', 'z.y']);
    expect(
      uniqueNames([
        ['a', 'b'],
        ['a', 'b'],
      ]),
    ).toEqual(['a.b', 'a.b_2']);
  });
});
