import type { Db } from 'mongodb';
import { createLogger } from '@qsmo/service-kit/logger';
import { readSubgraphCatalog, validateCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { seedSynthetic, SYNTHETIC_SOURCE, syntheticCatalog, syntheticDatabaseName } from '@qsmo/dev-tools/synthetic';
import { readAgencies } from '@qsmo/catalog';

/** The synthetic load-test catalogs: real document shapes, clearly fake content, never in a real database. */

test('a synthetic catalog is consistent, says it is synthetic everywhere, and keeps the real reference data', () => {
  const catalog = syntheticCatalog('GRANTS_MANAGEMENT', { offerings: 250, customers: 1_000 });
  expect(() => validateCatalog(catalog)).not.toThrow();
  expect(catalog.offerings).toHaveLength(250);
  expect(catalog.customerLinks).toHaveLength(1_000);
  const first = catalog.offerings[0]!;
  expect(first).toMatchObject({
    _id: 'grm-synthetic-00001',
    name: 'Synthetic offering 00001',
    domain: 'GRANTS_MANAGEMENT',
    verification: 'UNVERIFIED',
    sources: [SYNTHETIC_SOURCE],
  });
  expect(SYNTHETIC_SOURCE.title).toBe('synthetic (generated for load tests; not real)');
  expect(catalog.offerings.every((o) => o.customerCodes.length === 4 && o.capabilityCodes.length > 0)).toBe(true);
  expect(catalog.customerLinks.every((l) => l.sources[0] === SYNTHETIC_SOURCE)).toBe(true);
  const names = catalog.offerings.map((o) => o.name);
  expect(names).toEqual([...names].sort());
  const real = readSubgraphCatalog('GRANTS_MANAGEMENT');
  expect(catalog.agencies).toEqual(real.agencies);
  expect(catalog.capabilities).toEqual(real.capabilities);
  expect(catalog.description).toMatch(/^synthetic catalog \(generated for load tests; not real\)/);
});

test('the same seed gives the same catalog; customers beyond what fits are refused with the limit', () => {
  expect(syntheticCatalog('CYBERSECURITY', { offerings: 20, customers: 30, seed: 7 })).toEqual(
    syntheticCatalog('CYBERSECURITY', { offerings: 20, customers: 30, seed: 7 }),
  );
  expect(() => syntheticCatalog('CYBERSECURITY', { offerings: 2, customers: 1_000 })).toThrow(`at most ${2 * readAgencies().length})`);
});

test('synthetic data only goes into databases named as synthetic (or test databases)', async () => {
  expect(syntheticDatabaseName('HUMAN_RESOURCES')).toBe('qsmo_synthetic_human_resources');
  const real = { databaseName: 'qsmo_grants_management' } as Db;
  await expect(seedSynthetic(real, 'GRANTS_MANAGEMENT', { offerings: 1, customers: 0 }, createLogger('t', 'silent'))).rejects.toThrow(
    /Refusing to fill qsmo_grants_management/,
  );
});
