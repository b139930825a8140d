import fs from 'node:fs';
import path from 'node:path';
import { addTypenameToDocument } from '@apollo/client/utilities';
import { buildSchema, print } from 'graphql';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { readPersistedQueryManifest } from '@qsmo/registry/client-manifests';
import { AgencyPortfolioDocument, persistedQueryIds as libraryIds } from '../operations/generated/documents';
import { ExplorerPortfolioDocument, persistedQueryIds as explorerIds } from '../../examples/marketplace-explorer/src/generated/operations';
import { clientManifest } from '../src/client-kit/manifest';
import { idsOfManifest, persistedQueryIds } from '../src/client-kit/persisted';
import { readTrustedDocuments } from '../src/trusted-documents';

const schema = buildSchema(fs.readFileSync(path.join(REPO_ROOT, 'gateway/operations/generated/schema.graphql'), 'utf8'));
const explorerManifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples/marketplace-explorer/manifest.json'), 'utf8'));

test("the library's typed documents carry the trusted documents' ids, so a client sends a hash the gateway trusts", () => {
  const trusted = readTrustedDocuments();
  const id = persistedQueryIds(libraryIds)(AgencyPortfolioDocument);
  expect(trusted.has(id)).toBe(true);
  expect(trusted.get(id)).toContain('query AgencyPortfolio($code: ID!)');
  expect(Object.values(libraryIds).every((h) => trusted.has(h))).toBe(true);
});

test("the explorer's documents are what Apollo Client sends: its own typename transform and printer give the manifest's body, whose sha256 is the id", () => {
  const { operations, problems } = readPersistedQueryManifest(explorerManifest);
  expect(problems).toEqual([]);
  const portfolio = operations.find((o) => o.name === 'ExplorerPortfolio')!;
  expect(print(addTypenameToDocument(ExplorerPortfolioDocument))).toBe(portfolio.body);
  expect(explorerIds.ExplorerPortfolio).toBe(portfolio.id);
  expect(persistedQueryIds(idsOfManifest(explorerManifest))(ExplorerPortfolioDocument)).toBe(portfolio.id);
});

test('an operation the kit does not know is refused with what to do, and invalid operations are named by file', () => {
  expect(() => persistedQueryIds({})(AgencyPortfolioDocument)).toThrow('AgencyPortfolio is in no persisted-query manifest of this client');
  expect(() => clientManifest([{ location: 'src/a.graphql', source: 'query A { agency(code: "075") { nickname } }' }], 'apollo', schema)).toThrow(
    'src/a.graphql: Cannot query field "nickname" on type "Agency".',
  );
  expect(() => clientManifest([{ location: 'src/b.graphql', source: '{ qsmos { domain } }' }], 'apollo', schema)).toThrow(
    'src/b.graphql: hold exactly one named operation',
  );
});
