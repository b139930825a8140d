import { seeErrorDoc } from '@qsmo/service-kit/error-guide';
import { ErrorCode } from '@qsmo/service-kit/errors';
import type { RequestRefusal } from '@qsmo/service-kit/http/request-checks';
import { documentHash } from '../trusted-documents';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/** TRUSTED_DOCUMENTS: `enforce` runs only the library's documents (analysts and editors excepted), `allow` resolves their hashes but runs anything, `off` is plain APQ. */
export const TRUSTED_DOCUMENTS_MODES = ['enforce', 'allow', 'off'] as const;
export type TrustedDocumentsMode = (typeof TRUSTED_DOCUMENTS_MODES)[number];

/**
 * The roles that may still send ad-hoc documents under `enforce`: signed-in
 * staff. Analysts explore the graph; editors maintain their QSMO's catalog
 * with mutations from their own tools and imports, which no frontend library
 * operation covers.
 */
export const AD_HOC_ROLES: readonly string[] = ['analyst', 'editor'];

/** What useTrustedDocuments needs: the mode and the manifest (hash → document, see readTrustedDocuments). */
export interface TrustedDocumentsOptions {
  mode: TrustedDocumentsMode;
  /** The manifest's documents; a function is asked on every request, so a manifest followed on disk (ManifestFile) applies without a restart. */
  documents: ReadonlyMap<string, string> | (() => ReadonlyMap<string, string>);
}

/** Part A's identity, read without claiming its type: only the roles matter here. */
function rolesOf(context: GatewayContext): readonly string[] {
  return (context as { identity?: { roles?: readonly string[] } }).identity?.roles ?? [];
}

/**
 * Trusted documents at the gateway. A request carrying only the sha256Hash
 * of a library document gets that document filled in before Apollo looks at
 * it (no registration round trip, and it works on every gateway instance).
 * With `enforce`, any other document is refused with 400 as soon as the
 * request is read, before it is parsed or validated: validation errors would
 * tell a caller who may run only trusted documents which fields exist
 * (`Cannot query field "qsmoz"` against a refusal for `qsmos`). An analyst
 * or an editor may still send ad-hoc documents. APQ keeps working in `allow`
 * and `off`.
 */
export function useTrustedDocuments(options: TrustedDocumentsOptions): GatewayPlugin {
  const { mode } = options;
  const current = typeof options.documents === 'function' ? options.documents : () => options.documents as ReadonlyMap<string, string>;
  if (mode === 'off') return { name: 'trusted-documents' };
  return {
    name: 'trusted-documents',
    ...(mode === 'enforce'
      ? {
          screenRequest({ query, extensions }, context): RequestRefusal | undefined {
            if (rolesOf(context).some((role) => AD_HOC_ROLES.includes(role))) return undefined;
            // A query that is not a string, or no document at all: Apollo's own 400 says what is wrong.
            if (query !== undefined && typeof query !== 'string') return undefined;
            const hash =
              typeof query === 'string'
                ? documentHash(query)
                : (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
            if (hash === undefined || (typeof hash === 'string' && current().has(hash))) return undefined;
            return {
              status: 400,
              code: ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
              message:
                'This graph runs only its trusted documents (TRUSTED_DOCUMENTS=enforce): send the sha256Hash of an operation of ' +
                'gateway/operations/generated/trusted-documents.json or of a client manifest published with npm run operations:publish as extensions.persistedQuery, ' +
                `or sign in as an ${AD_HOC_ROLES.join(' or an ')} to send other documents.${seeErrorDoc(ErrorCode.PERSISTED_QUERY_NOT_IN_LIST)}`,
            };
          },
        }
      : {}),
    apolloPlugins: [
      {
        async requestDidStart({ request }) {
          const hash = request.extensions?.persistedQuery?.sha256Hash;
          // Runs before Apollo reads the request, so it sees a document with a matching hash.
          const documents = current();
          if (request.query === undefined && typeof hash === 'string' && documents.has(hash)) request.query = documents.get(hash);
        },
      },
    ],
  };
}
