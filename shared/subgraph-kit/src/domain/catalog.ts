import { readAgencies, readCapabilities, readOfferingCustomers, readOfferings, readProviders, readQsmos } from '@qsmo/catalog';
import type { QsmoDomain } from '@qsmo/catalog/types';
import { toAgencyDoc, toProviderDoc, toQsmoDoc, type AgencyDoc, type ProviderDoc, type QsmoDoc } from '../reference/documents';
import { sortKeyOf } from '@qsmo/service-kit/loaders';
import { capabilityPath, type CapabilityDoc, type CustomerLinkDoc, type OfferingDoc } from './data';

/** Everything one subgraph stores: the shared reference data and its own domain's catalog. */
export interface SubgraphCatalog {
  description: string;
  agencies: AgencyDoc[];
  providers: ProviderDoc[];
  qsmos: QsmoDoc[];
  offerings: OfferingDoc[];
  capabilities: CapabilityDoc[];
  customerLinks: CustomerLinkDoc[];
}

export const customerLinkId = (offeringId: string, agencyCode: string) => `${offeringId}|${agencyCode}`;

/** Reads the real catalog of one domain from the files kept in the repository. */
export function readSubgraphCatalog(domain: QsmoDomain): SubgraphCatalog {
  const offerings = readOfferings(domain);
  const offeringIds = new Set(offerings.map((o) => o.id));
  const links = readOfferingCustomers(offeringIds);
  const customersOf = new Map<string, string[]>();
  for (const link of links) customersOf.set(link.offeringId, [...(customersOf.get(link.offeringId) ?? []), link.agencyCode]);
  return {
    description: `reference catalog, ${domain}`,
    agencies: readAgencies().map(toAgencyDoc),
    providers: readProviders().map(toProviderDoc),
    qsmos: readQsmos().map(toQsmoDoc),
    offerings: offerings.map(({ id, ...rest }) => ({
      _id: id,
      ...rest,
      sortKey: sortKeyOf(rest.name),
      capabilityPaths: [...new Set(rest.capabilityCodes.flatMap(capabilityPath))].sort(),
      customerCodes: [...new Set(customersOf.get(id) ?? [])].sort(),
      version: 1,
    })),
    capabilities: readCapabilities(domain).map(({ code, ...rest }) => ({ _id: code, ...rest })),
    customerLinks: links.map((l) => ({ _id: customerLinkId(l.offeringId, l.agencyCode), ...l })),
  };
}

/**
 * Checks every reference between the catalog's records before anything is
 * written, so a bad data file is reported by row and never half-loaded.
 */
export function validateCatalog(catalog: SubgraphCatalog): void {
  const problems: string[] = [];
  const agencies = new Set(catalog.agencies.map((a) => a._id));
  const providers = new Set(catalog.providers.map((p) => p._id));
  const capabilities = new Set(catalog.capabilities.map((c) => c._id));
  const offerings = new Set(catalog.offerings.map((o) => o._id));
  for (const o of catalog.offerings) {
    if (!providers.has(o.providerId)) problems.push(`offering ${o._id}: provider "${o.providerId}" is not in providers`);
    for (const p of o.partnerIds) if (!providers.has(p)) problems.push(`offering ${o._id}: partner "${p}" is not in providers`);
    for (const c of o.capabilityCodes) if (!capabilities.has(c)) problems.push(`offering ${o._id}: FIBF code "${c}" is not in the domain's standard`);
    for (const a of o.customerCodes) if (!agencies.has(a)) problems.push(`offering ${o._id}: customer agency "${a}" is not in agencies`);
  }
  for (const l of catalog.customerLinks) if (!offerings.has(l.offeringId)) problems.push(`customer link ${l._id}: offering is not in this domain`);
  for (const c of catalog.capabilities)
    if (c.parentCode && !capabilities.has(c.parentCode)) problems.push(`capability ${c._id}: parent "${c.parentCode}" is missing`);
  for (const p of catalog.providers)
    if (p.parentAgencyCode && !agencies.has(p.parentAgencyCode)) problems.push(`provider ${p._id}: parent agency "${p.parentAgencyCode}" is not in agencies`);
  for (const q of catalog.qsmos) if (!agencies.has(q.leadAgencyCode)) problems.push(`qsmo ${q._id}: lead agency "${q.leadAgencyCode}" is not in agencies`);
  if (problems.length > 0) {
    throw new Error(`The catalog is inconsistent; nothing was written. Fix these rows:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
