import { ErrorCode } from '@qsmo/service-kit/errors';
import { ISSUER, startEditingGraph, type EditingGraph, type GraphAnswer } from './support/editing-graph';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * A QSMO team keeps its catalog through the graph: the real graph (four
 * subgraphs on their seeded databases, the gateway verifying tokens and
 * signing identities to the subgraphs, read models on), called over HTTP
 * with tokens as a team's tools would.
 */
const BOUND_MS = 2_000;

let editing: EditingGraph;
const gql = (query: string, variables: Record<string, unknown> = {}, bearer?: string): Promise<GraphAnswer> => editing.gql(query, variables, bearer);

const SOURCE = { title: 'Grants QSMO marketplace, federal shelf', url: 'https://www.usaspending.gov/grants-qsmo/marketplace' };
const PROVENANCE = { sources: [SOURCE], verification: 'CONFIRMED' };

const CREATE = `mutation Create($input: CreateGrantsManagementOfferingInput!) {
  createGrantsManagementOffering(input: $input) {
    offering { id name version provider { id } sources { title url } }
    change { id version mutation actor }
    userErrors { field message code currentVersion }
  }
}`;
const UPDATE = `mutation Update($input: UpdateGrantsManagementOfferingInput!) {
  updateGrantsManagementOffering(input: $input) {
    offering { id name version sources { url } }
    change { id version changedFields }
    userErrors { field message code currentVersion }
  }
}`;
const ADD_LISTING = `mutation Add($input: GrantsManagementCustomerListingInput!) {
  addGrantsManagementCustomerListing(input: $input) {
    offering { id version customers { code } customerLinks { agency { code } asOf statedOn { precision } verification sources { url } } }
    userErrors { field message code }
  }
}`;
const HISTORY = `query History($id: ID!) { grantsManagement { offering(id: $id) { version history { id version mutation actor actorIssuer at changedFields before after sources { url } verification } } } }`;

let grantsEditor: string;
let cyberEditor: string;
let analyst: string;
let reader: string;

beforeAll(async () => {
  editing = await startEditingGraph();
  const token = editing.token;
  grantsEditor = await token('grm-editor@hhs.gov', ['editor'], ['GRANTS_MANAGEMENT']);
  cyberEditor = await token('cyb-editor@cisa.gov', ['editor'], ['CYBERSECURITY']);
  analyst = await token('analyst@gsa.gov', ['analyst']);
  reader = await token('reader@gsa.gov', []);
}, 120_000);

afterAll(async () => {
  await editing?.stop();
});

const CROSS = `query Cross { provider(id: "hhs") { name grantsManagement { offerings { id name version } } humanResources { offeringCount } }
  agency(code: "024") { grantsManagement { offerings { id name } } } }`;

describe('an editor of Grants keeps the Grants catalog', () => {
  const id = 'grm-test-portal';

  test('create, then update: each visible at once in a cross-QSMO query, both in history with the editor', async () => {
    // Read first, so the read models and the gateway's response cache hold the old answer a stale cache would serve.
    const beforeRead = await gql(CROSS);
    expect(beforeRead.body.data.provider.grantsManagement.offerings.map((o: { id: string }) => o.id)).not.toContain(id);
    expect(beforeRead.cacheControl).toBe('max-age=30, public');

    const created = await gql(
      CREATE,
      { input: { id, name: 'Test Grants Portal', shelf: 'FEDERAL', providerId: 'hhs', capabilityCodes: ['GRM.030.010'], provenance: PROVENANCE } },
      grantsEditor,
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createGrantsManagementOffering).toMatchObject({
      offering: { id, name: 'Test Grants Portal', version: 1, provider: { id: 'hhs' }, sources: [SOURCE] },
      change: { id: `${id}@1`, version: 1, mutation: 'createGrantsManagementOffering', actor: 'grm-editor@hhs.gov' },
      userErrors: [],
    });
    expect(created.ms).toBeLessThan(BOUND_MS);
    const afterCreate = await gql(CROSS);
    expect(afterCreate.body.data.provider.grantsManagement.offerings).toContainEqual({ id, name: 'Test Grants Portal', version: 1 });

    const newSource = { title: 'HHS press release', url: 'https://www.hhs.gov/about/news/test-portal' };
    const updated = await gql(
      UPDATE,
      { input: { id, version: 1, name: 'Test Grants Portal II', provenance: { sources: [newSource], verification: 'CONFIRMED' } } },
      grantsEditor,
    );
    expect(updated.body.data.updateGrantsManagementOffering).toMatchObject({
      offering: { id, name: 'Test Grants Portal II', version: 2, sources: [{ url: SOURCE.url }, { url: newSource.url }] },
      change: { id: `${id}@2`, version: 2, changedFields: ['name', 'sources'] },
      userErrors: [],
    });
    const afterUpdate = await gql(CROSS);
    expect(afterUpdate.body.data.provider.grantsManagement.offerings).toContainEqual({ id, name: 'Test Grants Portal II', version: 2 });
    expect(afterUpdate.body.data.provider.humanResources.offeringCount).toBeGreaterThanOrEqual(0);

    const history = await gql(HISTORY, { id }, grantsEditor);
    expect(history.body.errors).toBeUndefined();
    // The audit trail declares max-age 0: never cached, and said so.
    expect(history.cacheControl).toBe('no-store');
    const changes = history.body.data.grantsManagement.offering.history;
    expect(
      changes.map((c: { mutation: string; version: number; actor: string; actorIssuer: string }) => [c.mutation, c.version, c.actor, c.actorIssuer]),
    ).toEqual([
      ['createGrantsManagementOffering', 1, 'grm-editor@hhs.gov', ISSUER],
      ['updateGrantsManagementOffering', 2, 'grm-editor@hhs.gov', ISSUER],
    ]);
    expect(changes[0].before).toBeNull();
    expect(JSON.parse(changes[1].before)).toMatchObject({ id, name: 'Test Grants Portal', version: 1 });
    expect(JSON.parse(changes[1].after)).toMatchObject({ id, name: 'Test Grants Portal II', version: 2 });
    expect(changes[1].sources).toEqual([{ url: newSource.url }]);

    // An analyst reads the audit trail too, and the domain feed lists both changes.
    const feed = await gql('{ grantsManagement { changes(since: "2000-01-01") { totalCount edges { node { id actor } } } } }', {}, analyst);
    expect(feed.body.errors).toBeUndefined();
    expect(feed.body.data.grantsManagement.changes.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(
      expect.arrayContaining([`${id}@1`, `${id}@2`]),
    );
  });

  test('a customer listing is part of its offering: versioned, sourced, and shown on the agency at once', async () => {
    const added = await gql(
      ADD_LISTING,
      {
        input: {
          offeringId: id,
          version: 2,
          agencyCode: '024',
          asOf: '2026-03',
          customerAsStated: 'OPM',
          provenance: { sources: [SOURCE], verification: 'CONFIRMED' },
        },
      },
      grantsEditor,
    );
    expect(added.body.data.addGrantsManagementCustomerListing).toMatchObject({
      offering: {
        id,
        version: 3,
        customers: [{ code: '024' }],
        customerLinks: [
          { agency: { code: '024' }, asOf: '2026-03', statedOn: { precision: 'MONTH' }, verification: 'CONFIRMED', sources: [{ url: SOURCE.url }] },
        ],
      },
      userErrors: [],
    });
    const cross = await gql(CROSS);
    expect(cross.body.data.agency.grantsManagement.offerings).toContainEqual({ id, name: 'Test Grants Portal II' });
  });

  test('a change without a source is refused, saying what to add; a stale version names the current one', async () => {
    const bare = await gql(UPDATE, { input: { id, version: 3, name: 'No source', provenance: { sources: [], verification: 'UNVERIFIED' } } }, grantsEditor);
    expect(bare.body.data.updateGrantsManagementOffering).toMatchObject({
      offering: null,
      change: null,
      userErrors: [{ field: ['input', 'provenance', 'sources'], code: 'SOURCE_REQUIRED', message: expect.stringContaining('add { title, url }') }],
    });
    const stale = await gql(UPDATE, { input: { id, version: 1, name: 'Stale', provenance: PROVENANCE } }, grantsEditor);
    expect(stale.body.data.updateGrantsManagementOffering.userErrors).toEqual([
      { field: ['input', 'version'], code: 'STALE_VERSION', currentVersion: 3, message: expect.stringContaining('is at version 3, not 1') },
    ]);
    const unknownProvider = await gql(UPDATE, { input: { id, version: 3, providerId: 'no-such-provider', provenance: PROVENANCE } }, grantsEditor);
    expect(unknownProvider.body.data.updateGrantsManagementOffering.userErrors).toEqual([
      expect.objectContaining({ code: 'REFERENCE_DATA', message: expect.stringContaining('maintained in shared/catalog') }),
    ]);
    const badCode = await gql(
      'mutation { setGrantsManagementOfferingCapabilities(input: { id: "grm-test-portal", version: 3, capabilityCodes: ["GRM.999.999", "FFM.030"], provenance: { sources: [{ title: "t", url: "https://example.gov" }], verification: UNVERIFIED } }) { userErrors { field code message } } }',
      {},
      grantsEditor,
    );
    expect(badCode.body.data.setGrantsManagementOfferingCapabilities.userErrors.map((e: { field: string[] }) => e.field)).toEqual([
      ['input', 'capabilityCodes', '1'],
    ]);
  });

  test('two concurrent updates from the same version: one is made, the other is refused with the current version; nothing is lost', async () => {
    const read = await gql(HISTORY, { id }, grantsEditor);
    const version = read.body.data.grantsManagement.offering.version as number;
    const [a, b] = await Promise.all(
      ['Concurrent A', 'Concurrent B'].map((name) => gql(UPDATE, { input: { id, version, name, provenance: PROVENANCE } }, grantsEditor)),
    );
    const results = [a!, b!].map((r) => r.body.data.updateGrantsManagementOffering);
    const won = results.filter((r) => r.userErrors.length === 0);
    const lost = results.filter((r) => r.userErrors.length > 0);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].userErrors[0]).toMatchObject({ code: expect.stringMatching(/^(STALE_VERSION|IN_PROGRESS)$/) });
    if (lost[0].userErrors[0].code === 'STALE_VERSION') expect(lost[0].userErrors[0].currentVersion).toBe(version + 1);
    const after = await gql(HISTORY, { id }, grantsEditor);
    const offering = after.body.data.grantsManagement.offering;
    expect(offering.version).toBe(version + 1);
    // The record holds the winner's change, and the history shows exactly that one on top of the earlier ones.
    expect(offering.history).toHaveLength(version + 1);
    expect(JSON.parse(offering.history.at(-1).after).name).toBe(won[0].offering.name);
  });

  test('a retried mutation with the same idempotency key is made once; the same key for another change is BAD_USER_INPUT', async () => {
    const version = (await gql(HISTORY, { id }, grantsEditor)).body.data.grantsManagement.offering.version as number;
    const input = { id, version, notes: 'Retried note', provenance: PROVENANCE, idempotencyKey: 'note-1' };
    const first = await gql(UPDATE, { input }, grantsEditor);
    const retry = await gql(UPDATE, { input }, grantsEditor);
    expect(first.body.data.updateGrantsManagementOffering.change.id).toBe(`${id}@${version + 1}`);
    expect(retry.body.data.updateGrantsManagementOffering.change.id).toBe(`${id}@${version + 1}`);
    expect((await gql(HISTORY, { id }, grantsEditor)).body.data.grantsManagement.offering.version).toBe(version + 1);
    const other = await gql(UPDATE, { input: { ...input, notes: 'Something else' } }, grantsEditor);
    expect(other.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('idempotencyKey was already used for a different request'),
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    });
  });
});

describe('only an editor of the QSMO writes; the audit trail is for analysts and editors', () => {
  const input = { id: 'grm-not-mine', name: 'Not mine', shelf: 'FEDERAL', providerId: 'hhs', provenance: PROVENANCE };

  test('an editor of Cybersecurity gets FORBIDDEN naming the role and QSMO; nothing is written', async () => {
    const answer = await gql(CREATE, { input }, cyberEditor);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('needs the role "editor" of GRANTS_MANAGEMENT'),
      extensions: { code: ErrorCode.FORBIDDEN, requiredRole: 'editor', domain: 'GRANTS_MANAGEMENT' },
    });
    expect(answer.ms).toBeLessThan(BOUND_MS);
    expect((await gql('{ grantsManagement { offering(id: "grm-not-mine") { id } } }')).body.data.grantsManagement.offering).toBeNull();
  });

  test('an anonymous caller gets 401 saying to sign in; a signed-in reader without a role gets FORBIDDEN', async () => {
    const anonymous = await gql(CREATE, { input });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('needs a signed-in editor'),
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect(anonymous.ms).toBeLessThan(BOUND_MS);
    const signedIn = await gql(CREATE, { input }, reader);
    expect(signedIn.body.errors?.[0]).toMatchObject({ extensions: { code: ErrorCode.FORBIDDEN, requiredRole: 'editor' } });
  });

  test("history needs analyst or an editor of the QSMO: the public reader and another QSMO's editor get FORBIDDEN", async () => {
    for (const bearer of [undefined, cyberEditor]) {
      const answer = await gql(HISTORY, { id: 'grm-test-portal' }, bearer);
      expect(answer.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining('"analyst" or "editor" of GRANTS_MANAGEMENT'),
        extensions: { code: ErrorCode.FORBIDDEN },
      });
    }
    expect((await gql(HISTORY, { id: 'grm-test-portal' }, analyst)).body.errors).toBeUndefined();
  });
});
