import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors';
import { QSMO_DOMAINS, type QsmoDomain } from '../subgraphs';

/**
 * Who is calling, as the gateway verified it. The same shape travels from the
 * gateway to the subgraphs (signed, see internal-token.ts), so each subgraph
 * decides in its own domain with the facts the gateway checked.
 */
export interface Identity {
  /** The token's `sub`; null for the anonymous public reader. */
  subject: string | null;
  /** The token's issuer; null for the anonymous public reader. */
  issuer: string | null;
  /** Roles granted by the token (unknown role names are dropped, never guessed). */
  roles: readonly Role[];
  /** The QSMOs an editor may edit; empty for everyone else. */
  qsmos: readonly QsmoDomain[];
}

/** The roles the graph knows. Reading public data needs none; `editor` applies to the QSMOs in the token's QSMO claim. */
export const ROLES = ['analyst', 'editor'] as const;
export type Role = (typeof ROLES)[number];

/** The public reader: no token, no roles. Frozen so no request can grant itself a role by mutation. */
export const ANONYMOUS: Identity = Object.freeze({
  subject: null,
  issuer: null,
  roles: Object.freeze([]) as readonly Role[],
  qsmos: Object.freeze([]) as readonly QsmoDomain[],
});

/** True for the anonymous public reader. */
export const isAnonymous = (identity: Identity): boolean => identity.subject === null;

/** Keeps the known role names of a claim value; anything that is not a list of strings grants nothing. */
export function rolesFromClaim(value: unknown): Role[] {
  const names = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  return ROLES.filter((role) => names.includes(role));
}

/** Keeps the known QSMO domains of a claim value (e.g. ["GRANTS_MANAGEMENT"]). */
export function qsmosFromClaim(value: unknown): QsmoDomain[] {
  const names = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  return QSMO_DOMAINS.filter((domain) => names.includes(domain));
}

/** The "you are not allowed" error: names what is missing, so the caller knows which role to ask for. */
export function forbidden(message: string, requiredRole: Role, domain?: QsmoDomain): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN, requiredRole, ...(domain ? { domain } : {}) } });
}

/** The "who are you?" error: the message says what was wrong with the credentials, and HTTP answers 401. */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

/** Throws FORBIDDEN unless the caller has `role`; the place every role check of the graph goes through. */
export function requireRole(identity: Identity, role: Role, what = 'this'): void {
  if (identity.roles.includes(role)) return;
  const who = isAnonymous(identity) ? 'an anonymous caller' : `"${identity.subject}"`;
  throw forbidden(`${capitalize(what)} needs the role "${role}", which ${who} does not have: sign in with a token whose roles include "${role}".`, role);
}

/** Throws FORBIDDEN unless the caller is an editor of `domain` (the QSMO a change belongs to). */
export function requireEditor(identity: Identity, domain: QsmoDomain, what = 'this'): void {
  requireRole(identity, 'editor', what);
  if (identity.qsmos.includes(domain)) return;
  throw forbidden(
    `${capitalize(what)} needs the role "editor" of ${domain}; "${identity.subject}" edits ${identity.qsmos.length ? identity.qsmos.join(', ') : 'no QSMO'}: ask for a token whose QSMO claim includes ${domain}.`,
    'editor',
    domain,
  );
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
