/**
 * The stored shapes the generated resolver types map the schema's types to
 * (codegen `mappers`): a resolver returns documents, and the field resolvers
 * of the type turn them into the public shape.
 */
export type { GraphContext } from '../context';
export type { OfferingDoc, CapabilityDoc, CustomerLinkDoc } from '../domain/data';
export type { AgencyDoc, ProviderDoc, QsmoDoc } from '../reference/documents';
export type { Connection } from '@qsmo/service-kit/pagination';
export type { ChangeDoc } from '../domain/changes';
import type { ChangeDoc, CatalogUserError } from '../domain/changes';
import type { OfferingDoc } from '../domain/data';

/** <Domain>OfferingPayload: the offering after a change, its audit record, or why it was refused. */
export interface OfferingPayloadDoc {
  offering: OfferingDoc | null;
  change: ChangeDoc | null;
  userErrors: CatalogUserError[];
}

/** The marketplace namespace (Query.<domain>) and its stats carry no data of their own. */
export type MarketplaceRoot = Record<string, never>;

/** Agency.<domain>: the agency whose use of the marketplace is resolved. */
export interface AgencyDomainParent {
  agencyCode: string;
}

/** Provider.<domain>: the provider whose part in the marketplace is resolved. */
export interface ProviderDomainParent {
  providerId: string;
}
