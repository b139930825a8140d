import type { GraphContext } from '../../context';
import { forbidden, isAnonymous, requireEditor, unauthenticated, type Identity } from '@qsmo/service-kit/auth/identity';
import { IdempotencyKeyReused, type CatalogUserError, type ChangeRequest, type OfferingSnapshot } from '../../domain/changes';
import {
  CATALOG_LIMITS,
  checkListing,
  checkOfferingFields,
  checkOfferingId,
  checkSources,
  fieldsOf,
  listingDoc,
  mergeSources,
  offeringDoc,
  Problems,
  withListings,
  type Given,
  type OfferingFields,
  type SourceInput,
} from '../../domain/edits';
import { customerLinkId } from '../../domain/catalog';
import type { ProviderDoc } from '../../reference/documents';
import { badUserInput } from '@qsmo/service-kit/errors';
import type { QsmoDomain, SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import type { Verification } from '@qsmo/catalog/types';
import type { OfferingPayloadDoc } from '../types';
import type { MutationResolvers } from '../generated/resolvers-types';

/**
 * The catalog mutations every marketplace has, written once. Each subgraph's
 * Mutation.ts maps its prefixed field names onto these (createGrantsManagementOffering
 * → create). Authorization and refusals of the caller's credentials are
 * errors (401, FORBIDDEN); everything about the input is a userError in the
 * payload, each with the input path to fix.
 */

/** Reading the audit trail needs the role analyst, or to be an editor of this QSMO. */
export function requireAuditReader(identity: Identity, domain: QsmoDomain, what: string): void {
  if (identity.roles.includes('analyst') || (identity.roles.includes('editor') && identity.qsmos.includes(domain))) return;
  const who = isAnonymous(identity) ? 'an anonymous caller' : `"${identity.subject}"`;
  throw forbidden(
    `${what} needs the role "analyst" or "editor" of ${domain}, which ${who} does not have: sign in with a token whose roles include "analyst", or an editor token for ${domain}.`,
    'analyst',
    domain,
  );
}

/** Writing needs a signed-in editor of the QSMO; an anonymous caller is told to sign in (HTTP 401). */
function requireWriter(identity: Identity, domain: QsmoDomain, mutation: string): { subject: string; issuer: string | null } {
  if (isAnonymous(identity))
    throw unauthenticated(
      `${mutation} changes the catalog and needs a signed-in editor of ${domain}: send "Authorization: Bearer <token>" with a token whose roles include "editor" and whose QSMO claim includes ${domain}.`,
    );
  requireEditor(identity, domain, mutation);
  return { subject: identity.subject as string, issuer: identity.issuer };
}

interface Provenance {
  sources: SourceInput[];
  verification: Verification;
}

const MAX_KEY = 200;

const refused = (userErrors: CatalogUserError[]): OfferingPayloadDoc => ({ offering: null, change: null, userErrors });

/** Provider ids that are not in this subgraph's copy of the reference data, each as a refusal naming who maintains it. */
async function checkProviders(ctx: GraphContext, ids: { path: string[]; id: string }[], problems: Problems): Promise<void> {
  const found = await ctx.loaders.provider.loadMany(ids.map((i) => i.id));
  ids.forEach(({ path, id }, i) => {
    const doc = found[i] as ProviderDoc | Error | null;
    if (doc instanceof Error) throw doc;
    if (!doc)
      problems.add(
        path,
        'REFERENCE_DATA',
        `No provider "${id}" in the reference data. Providers and agencies are reference data every QSMO shares: they are maintained in shared/catalog (providers.csv, agencies.csv) by the graph's maintainers, not through a QSMO's mutations; ask them to add it, then retry.`,
      );
  });
}

async function checkCapabilities(ctx: GraphContext, codes: string[], entry: SubgraphEntry, problems: Problems, at: string[]): Promise<void> {
  const found = await ctx.loaders.capability.loadMany(codes);
  codes.forEach((code, i) => {
    const doc = found[i];
    if (doc instanceof Error) throw doc;
    if (!doc)
      problems.add(
        [...at, String(i)],
        'INVALID',
        `"${code}" is not an entry of the ${entry.standard}: use a code listed by ${entry.fieldName} { capabilities }.`,
      );
  });
}

async function checkAgency(ctx: GraphContext, code: string, problems: Problems): Promise<void> {
  if (problems.list.some((p) => p.field?.at(-1) === 'agencyCode')) return;
  if (!(await ctx.loaders.agency.load(code))) {
    problems.add(
      ['input', 'agencyCode'],
      'REFERENCE_DATA',
      `No agency with CGAC code "${code}" in the reference data. Agencies are reference data every QSMO shares, maintained in shared/catalog/agencies.csv by the graph's maintainers: ask them to add it, then retry.`,
    );
  }
}

/** The catalog mutations of one marketplace, by their unprefixed names. */
export function catalogMutations(entry: SubgraphEntry) {
  const domain = entry.domain as QsmoDomain;
  const name = (verb: string, noun: string) => `${verb}${entry.typePrefix}${noun}`;

  /** The shared tail of every mutation: provenance checked, then the write, then the payload. */
  async function write(
    ctx: GraphContext,
    mutation: string,
    input: { idempotencyKey?: string | null; provenance: Provenance },
    problems: Problems,
    request: Omit<ChangeRequest, 'mutation' | 'actor' | 'sources' | 'verification' | 'idempotency'>,
  ): Promise<OfferingPayloadDoc> {
    const actor = requireWriter(ctx.identity, domain, mutation);
    const sources = checkSources(input.provenance.sources, problems);
    if (input.idempotencyKey !== undefined && input.idempotencyKey !== null && (input.idempotencyKey.trim() === '' || input.idempotencyKey.length > MAX_KEY)) {
      problems.add(['input', 'idempotencyKey'], 'INVALID', `idempotencyKey must be 1 to ${MAX_KEY} characters, e.g. a UUID made once per intended change.`);
    }
    if (problems.any) return refused(problems.list);
    const { idempotencyKey, ...rest } = input as Record<string, unknown>;
    try {
      const result = await ctx.catalog.write({
        ...request,
        mutation,
        actor,
        sources,
        verification: input.provenance.verification,
        ...(typeof idempotencyKey === 'string' ? { idempotency: { key: idempotencyKey, request: rest } } : {}),
      });
      if ('error' in result) return refused([result.error]);
      const after = result.change.after;
      return { offering: after?.offering ?? null, change: result.change, userErrors: [] };
    } catch (error) {
      if (error instanceof IdempotencyKeyReused) throw badUserInput(error.message, 'idempotencyKey');
      throw error;
    }
  }

  /** The state after changing a listed offering's fields: sources merged, derived fields recomputed. */
  const edited = (
    before: OfferingSnapshot,
    fields: OfferingFields,
    p: Provenance,
    sources: ReturnType<typeof checkSources>,
    version: number,
    listings = before.listings,
  ): OfferingSnapshot => ({
    offering: offeringDoc(before.offering._id, domain, fields, {
      verification: p.verification,
      sources: mergeSources(before.offering.sources, sources, CATALOG_LIMITS.offeringSources),
      listings,
      version,
    }),
    listings,
  });

  return {
    create: (async (_, { input }, ctx) => {
      const mutation = name('create', 'Offering');
      requireWriter(ctx.identity, domain, mutation);
      const problems = new Problems();
      checkOfferingId(input.id, entry.offeringIdPrefix, problems);
      const fields: OfferingFields = {
        name: input.name,
        category: input.category ?? null,
        shelf: input.shelf,
        providerId: input.providerId,
        partnerIds: input.partnerIds ?? [],
        capabilityCodes: input.capabilityCodes ?? [],
        website: input.website ?? null,
        launchedOn: input.launchedOn ?? null,
        notes: input.notes ?? null,
      };
      checkOfferingFields(fields, problems, entry);
      if (!problems.any) {
        await checkProviders(
          ctx,
          [{ path: ['input', 'providerId'], id: fields.providerId }, ...fields.partnerIds.map((id, i) => ({ path: ['input', 'partnerIds', String(i)], id }))],
          problems,
        );
        await checkCapabilities(ctx, fields.capabilityCodes, entry, problems, ['input', 'capabilityCodes']);
      }
      const sources = checkSources(input.provenance.sources, new Problems());
      return write(ctx, mutation, input, problems, {
        offeringId: input.id,
        expectedVersion: 'new',
        compute: (_before, version) => ({
          offering: offeringDoc(input.id, domain, fields, { verification: input.provenance.verification, sources, listings: [], version }),
          listings: [],
        }),
      });
    }) satisfies MutationResolvers['createMarketplaceOffering'],

    update: (async (_, { input }, ctx) => {
      const mutation = name('update', 'Offering');
      requireWriter(ctx.identity, domain, mutation);
      const problems = new Problems();
      checkOfferingId(input.id, entry.offeringIdPrefix, problems);
      const given = Object.fromEntries(
        Object.entries({
          name: input.name,
          category: input.category,
          shelf: input.shelf,
          providerId: input.providerId,
          partnerIds: input.partnerIds,
          website: input.website,
          launchedOn: input.launchedOn,
          notes: input.notes,
        }).filter(([, v]) => v !== undefined),
      ) as Given<OfferingFields>;
      // The schema lets every field be null (it means "clear" for the optional ones); the required ones cannot be cleared.
      for (const required of ['name', 'shelf', 'providerId', 'partnerIds'] as const) {
        if (required in given && given[required] === null)
          problems.add(['input', required], 'INVALID', `${required} cannot be cleared: leave it out to keep it, or give a new value.`);
      }
      checkOfferingFields(given, problems, entry);
      if (!problems.any) {
        await checkProviders(
          ctx,
          [
            ...(given.providerId ? [{ path: ['input', 'providerId'], id: given.providerId }] : []),
            ...(given.partnerIds ?? []).map((id, i) => ({ path: ['input', 'partnerIds', String(i)], id })),
          ],
          problems,
        );
      }
      const sources = checkSources(input.provenance.sources, new Problems());
      return write(ctx, mutation, input, problems, {
        offeringId: input.id,
        expectedVersion: input.version,
        // Reached only without problems, so no required field is null here.
        compute: (before, version) =>
          edited(before!, { ...fieldsOf(before!.offering), ...(given as Partial<OfferingFields>) }, input.provenance, sources, version),
      });
    }) satisfies MutationResolvers['updateMarketplaceOffering'],

    retire: (async (_, { input }, ctx) => {
      const problems = new Problems();
      checkOfferingId(input.id, entry.offeringIdPrefix, problems);
      return write(ctx, name('retire', 'Offering'), input, problems, {
        offeringId: input.id,
        expectedVersion: input.version,
        compute: () => null,
      });
    }) satisfies MutationResolvers['retireMarketplaceOffering'],

    setCapabilities: (async (_, { input }, ctx) => {
      const mutation = name('set', 'OfferingCapabilities');
      requireWriter(ctx.identity, domain, mutation);
      const problems = new Problems();
      checkOfferingId(input.id, entry.offeringIdPrefix, problems);
      checkOfferingFields({ capabilityCodes: input.capabilityCodes }, problems, entry);
      if (!problems.any) await checkCapabilities(ctx, input.capabilityCodes, entry, problems, ['input', 'capabilityCodes']);
      const sources = checkSources(input.provenance.sources, new Problems());
      return write(ctx, mutation, input, problems, {
        offeringId: input.id,
        expectedVersion: input.version,
        compute: (before, version) =>
          edited(before!, { ...fieldsOf(before!.offering), capabilityCodes: input.capabilityCodes }, input.provenance, sources, version),
      });
    }) satisfies MutationResolvers['setMarketplaceOfferingCapabilities'],

    addListing: (async (_, { input }, ctx) => listing(ctx, 'add', input)) satisfies MutationResolvers['addMarketplaceCustomerListing'],
    updateListing: (async (_, { input }, ctx) => listing(ctx, 'update', input)) satisfies MutationResolvers['updateMarketplaceCustomerListing'],
    removeListing: (async (_, { input }, ctx) =>
      listing(ctx, 'remove', { ...input, asOf: null, customerAsStated: null })) satisfies MutationResolvers['removeMarketplaceCustomerListing'],
  };

  /** Adding, changing and removing a listing: a change of its offering, which keeps its customer codes in line. */
  async function listing(
    ctx: GraphContext,
    verb: 'add' | 'update' | 'remove',
    input: {
      offeringId: string;
      version: number;
      agencyCode: string;
      asOf?: string | null;
      customerAsStated?: string | null;
      provenance: Provenance;
      idempotencyKey?: string | null;
    },
  ): Promise<OfferingPayloadDoc> {
    const mutation = name(verb, 'CustomerListing');
    requireWriter(ctx.identity, domain, mutation);
    const problems = new Problems();
    checkOfferingId(input.offeringId, entry.offeringIdPrefix, problems, 'offeringId');
    const fields = { agencyCode: input.agencyCode, asOf: input.asOf ?? null, customerAsStated: input.customerAsStated ?? null };
    const statedOn = checkListing(fields, problems);
    if (verb !== 'remove') await checkAgency(ctx, input.agencyCode, problems);
    const sources = checkSources(input.provenance.sources, new Problems());
    const id = customerLinkId(input.offeringId, input.agencyCode);
    return write(ctx, mutation, input, problems, {
      offeringId: input.offeringId,
      expectedVersion: input.version,
      compute: (before, version) => {
        const existing = before!.listings.find((l) => l._id === id);
        if (verb === 'add' && existing)
          return {
            field: ['input', 'agencyCode'],
            message: `${input.offeringId} already lists agency ${input.agencyCode}: use ${name('update', 'CustomerListing')} to change the listing.`,
            code: 'ALREADY_EXISTS',
          };
        if (verb !== 'add' && !existing)
          return {
            field: ['input', 'agencyCode'],
            message: `${input.offeringId} does not list agency ${input.agencyCode}: check the code, or use ${name('add', 'CustomerListing')}.`,
            code: 'NOT_FOUND',
          };
        const others = before!.listings.filter((l) => l._id !== id);
        const listings =
          verb === 'remove'
            ? others
            : [
                ...others,
                listingDoc(
                  input.offeringId,
                  fields,
                  statedOn ?? null,
                  mergeSources(existing?.sources ?? [], sources, CATALOG_LIMITS.listingSources),
                  input.provenance.verification,
                ),
              ];
        // A listing's change is a change of its offering: same version line, same audit record; the offering's own verification stands.
        const next = withListings(before!, listings);
        return { offering: { ...next.offering, version }, listings: next.listings };
      },
    });
  }
}

/** How the marketplace template names each catalog mutation for a type prefix. */
const CATALOG_MUTATION_NAMES = {
  create: ['create', 'Offering'],
  update: ['update', 'Offering'],
  retire: ['retire', 'Offering'],
  setCapabilities: ['set', 'OfferingCapabilities'],
  addListing: ['add', 'CustomerListing'],
  updateListing: ['update', 'CustomerListing'],
  removeListing: ['remove', 'CustomerListing'],
} as const;
type CatalogMutationKey = keyof typeof CATALOG_MUTATION_NAMES;
type SchemaName<K extends CatalogMutationKey, P extends string> = `${(typeof CATALOG_MUTATION_NAMES)[K][0]}${P}${(typeof CATALOG_MUTATION_NAMES)[K][1]}`;

/**
 * A marketplace's catalog mutations under their names in its schema
 * (createGrantsManagementOffering, ...), so a subgraph's Mutation resolvers
 * are one line; the package checks them with `satisfies Required<MutationResolvers>`,
 * which fails to compile if a name here and in the template ever differ.
 */
export function catalogMutationResolvers<P extends string>(entry: SubgraphEntry & { typePrefix: P }) {
  const ops = catalogMutations(entry);
  return Object.fromEntries(
    (Object.keys(CATALOG_MUTATION_NAMES) as CatalogMutationKey[]).map((key) => {
      const [verb, noun] = CATALOG_MUTATION_NAMES[key];
      return [`${verb}${entry.typePrefix}${noun}`, ops[key]];
    }),
  ) as { [K in CatalogMutationKey as SchemaName<K, P>]: ReturnType<typeof catalogMutations>[K] };
}
