import type { Db } from 'mongodb';
import { sortKeyOf } from '@qsmo/service-kit/loaders';
import type { QsmoDomain, Shelf, SourceRecord } from '@qsmo/catalog/types';
import { customerLinkId, readSubgraphCatalog, type SubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { capabilityPath, type CustomerLinkDoc, type OfferingDoc } from '@qsmo/subgraph-kit/domain/data';
import { seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import type { Logger } from '@qsmo/service-kit/logger';

/**
 * Synthetic catalogs for load tests: many generated offerings and customer
 * links in the real document shapes, around the real reference data
 * (agencies, providers, QSMOs, the domain's FIBF standard). Everything
 * generated says so: names "Synthetic offering 00001", verification
 * UNVERIFIED, a source titled "synthetic (...; not real)", and databases
 * named qsmo_synthetic_<domain>, never a real one.
 */
export const SYNTHETIC_SOURCE: SourceRecord = { key: 'synthetic', title: 'synthetic (generated for load tests; not real)', url: null };

export const SYNTHETIC_DATABASE_PREFIX = 'qsmo_synthetic_';

/** qsmo_synthetic_grants_management etc.: separate from the real qsmo_<domain> databases. */
export const syntheticDatabaseName = (domain: QsmoDomain) => `${SYNTHETIC_DATABASE_PREFIX}${domain.toLowerCase()}`;

export interface SyntheticOptions {
  /** Number of offerings to generate. */
  offerings: number;
  /** Number of (offering, customer agency) listings, spread evenly over the offerings. */
  customers: number;
  /** Seed of the generator: the same seed gives the same catalog. */
  seed?: number;
}

/** mulberry32: small, fast and reproducible, which is all load-test data needs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The width of the zero-padded number, so name order is number order. */
export const syntheticNumberWidth = (count: number) => Math.max(5, String(count).length);

/** What the seed records in _meta: tells a later run whether the database already holds this catalog. */
export const syntheticCatalogDescription = (domain: QsmoDomain, options: SyntheticOptions) =>
  `synthetic catalog (generated for load tests; not real): ${domain}, ${options.offerings} offerings, ${options.customers} customer links, seed ${options.seed ?? 1}`;

export function syntheticCatalog(domain: QsmoDomain, options: SyntheticOptions): SubgraphCatalog {
  const { offerings: count, customers } = options;
  if (!Number.isInteger(count) || count < 0) throw new Error(`offerings must be a whole number of at least 0, not ${count}.`);
  if (!Number.isInteger(customers) || customers < 0) throw new Error(`customers must be a whole number of at least 0, not ${customers}.`);
  const real = readSubgraphCatalog(domain);
  const maxLinks = count * real.agencies.length;
  if (customers > maxLinks) {
    throw new Error(
      `${customers} customer listings do not fit ${count} offerings x ${real.agencies.length} agencies (at most ${maxLinks}): ask for fewer customers or more offerings.`,
    );
  }
  const next = random(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const idPrefix = real.offerings[0]?._id.split('-')[0] ?? domain.toLowerCase();
  const width = syntheticNumberWidth(count);
  const domainProviders = real.providers.filter((p) => p.domains.includes(domain)).map((p) => p._id);
  const providers = domainProviders.length > 0 ? domainProviders : real.providers.map((p) => p._id);
  const activities = real.capabilities.filter((c) => c.level === 'ACTIVITY').map((c) => c._id);
  const agencyCodes = real.agencies.map((a) => a._id);
  const shelves: Shelf[] = ['FEDERAL', 'FEDERAL', 'COMMERCIAL', 'COMMERCIAL', 'MANDATORY'];

  const offerings: OfferingDoc[] = [];
  const customerLinks: CustomerLinkDoc[] = [];
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(width, '0');
    const id = `${idPrefix}-synthetic-${n}`;
    const providerId = pick(providers);
    const partnerIds = next() < 0.1 ? [pick(providers)].filter((p) => p !== providerId) : [];
    const capabilityCodes = activities.length === 0 ? [] : [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(activities)))].sort();
    // Customers spread evenly: the first (customers % count) offerings take one more.
    const own = Math.floor(customers / Math.max(count, 1)) + (i <= customers % Math.max(count, 1) ? 1 : 0);
    const start = Math.floor(next() * agencyCodes.length);
    const customerCodes = Array.from({ length: own }, (_, k) => agencyCodes[(start + k) % agencyCodes.length]!).sort();
    for (const agencyCode of customerCodes) {
      customerLinks.push({
        _id: customerLinkId(id, agencyCode),
        offeringId: id,
        agencyCode,
        asOf: null,
        statedOn: null,
        customerAsStated: null,
        caveat: null,
        sources: [SYNTHETIC_SOURCE],
      });
    }
    offerings.push({
      _id: id,
      domain,
      name: `Synthetic offering ${n}`,
      sortKey: sortKeyOf(`Synthetic offering ${n}`),
      category: `Synthetic category ${1 + (i % 7)}`,
      shelf: pick(shelves),
      providerId,
      partnerIds,
      capabilityCodes,
      website: null,
      launchedOn: null,
      verification: 'UNVERIFIED',
      notes: 'Generated for load tests; not a real offering.',
      sources: [SYNTHETIC_SOURCE],
      capabilityPaths: [...new Set(capabilityCodes.flatMap(capabilityPath))].sort(),
      customerCodes,
    });
  }
  return {
    description: syntheticCatalogDescription(domain, options),
    agencies: real.agencies,
    providers: real.providers,
    qsmos: real.qsmos,
    capabilities: real.capabilities,
    offerings,
    customerLinks,
  };
}

/**
 * Replaces whatever the database holds with a synthetic catalog. Refuses
 * any database not named as synthetic or as a test database, so a real
 * catalog is never overwritten by mistake.
 */
export async function seedSynthetic(db: Db, domain: QsmoDomain, options: SyntheticOptions, logger: Logger): Promise<void> {
  if (!db.databaseName.startsWith(SYNTHETIC_DATABASE_PREFIX) && !db.databaseName.startsWith('test_')) {
    throw new Error(`Refusing to fill ${db.databaseName} with synthetic data: use a database named ${SYNTHETIC_DATABASE_PREFIX}<domain>.`);
  }
  const catalog = syntheticCatalog(domain, options);
  // Dropping first is much faster than upserting and pruning a large earlier synthetic load.
  await db.dropDatabase();
  await seedSubgraph(db, catalog, 'always', logger);
}
