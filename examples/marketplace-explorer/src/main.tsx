import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { CombinedGraphQLErrors } from '@apollo/client';
import { ApolloProvider, useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { createExplorerClient, tokenStore, type ExplorerConfig } from './client';
import {
  ExplorerAgenciesDocument,
  ExplorerCatalogChangedDocument,
  ExplorerOfferingDocument,
  ExplorerPortfolioDocument,
  type ExplorerOfferingSummaryFragment,
  type QsmoDomain,
} from './generated/operations';

declare global {
  interface Window {
    EXPLORER_CONFIG: ExplorerConfig;
  }
}

/** A marketplace's field as a title: grantsManagement → Grants Management. The pages follow the fields the operations select, so a new marketplace needs no edit here. */
const title = (field: string) => field.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());

/** The per-marketplace fields of an answer: those whose value has the given key (or is null: that marketplace did not answer). */
function marketplaces<T extends object, K extends string>(data: T, key: K): [string, unknown][] {
  return Object.entries(data).filter(([field, value]) => field !== '__typename' && (value === null || (typeof value === 'object' && key in value)));
}

/** The page shown: the location hash, so the back button and links work without a router. */
function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

/** Errors as a frontend shows them: each with its code, under whatever data did come back. */
function Problems({ error }: { error: unknown }) {
  if (!error) return null;
  const messages = CombinedGraphQLErrors.is(error)
    ? error.errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`)
    : [String((error as Error).message ?? error)];
  return (
    <ul className="problems" role="alert">
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

/** Live updates of these marketplaces: the changed offering lands in the cache; the portfolio is asked again, as a listing may have come or gone. */
function LiveUpdates({ domains }: { domains?: QsmoDomain[] }) {
  const client = useApolloClient();
  const [last, setLast] = useState<string>();
  const { error } = useSubscription(ExplorerCatalogChangedDocument, {
    variables: { domains },
    onData: ({ data }) => {
      const change = data.data?.catalogChanged;
      if (!change) return;
      setLast(`${change.mutation} on ${change.offeringId} (version ${change.version}) at ${change.at}`);
      void client.refetchQueries({ include: [ExplorerPortfolioDocument] });
    },
  });
  return (
    <p className="live" data-testid="live">
      {error ? `Live updates unavailable: ${error.message}` : last ? `Last change: ${last}` : 'Live: waiting for changes'}
    </p>
  );
}

function AgencyPicker() {
  const [search, setSearch] = useState('');
  const { data, error, loading, fetchMore } = useQuery(ExplorerAgenciesDocument, { variables: { first: 20, search: search || undefined } });
  const agencies = data?.agencies;
  return (
    <section>
      <h2>Agencies</h2>
      <label>
        Search <input aria-label="Search agencies" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="e.g. Health" />
      </label>
      <Problems error={error} />
      {loading && !agencies ? <p>Loading…</p> : null}
      {agencies ? <p>{agencies.totalCount} agencies</p> : null}
      <ul className="agencies">
        {agencies?.edges.map(({ node }) => (
          <li key={node.code}>
            <a href={`#/agency/${node.code}`}>{node.abbreviation || node.code}</a> {node.name} <small>({node.marketplaceCount} marketplaces)</small>
          </li>
        ))}
      </ul>
      {agencies?.pageInfo.hasNextPage ? (
        <button type="button" onClick={() => void fetchMore({ variables: { after: agencies.pageInfo.endCursor } })}>
          More agencies
        </button>
      ) : null}
    </section>
  );
}

function Portfolio({ code }: { code: string }) {
  const { data, error, loading } = useQuery(ExplorerPortfolioDocument, { variables: { code }, errorPolicy: 'all' });
  const agency = data?.agency;
  if (loading && !agency) return <p>Loading…</p>;
  if (!agency)
    return (
      <>
        <Problems error={error} />
        <p>No agency with code {code}.</p>
      </>
    );
  return (
    <section>
      <p>
        <a href="#/">All agencies</a>
      </p>
      <h2 data-testid="agency-name">
        {agency.name} ({agency.abbreviation})
      </h2>
      <p>Listed as a customer in {agency.marketplaceCount} marketplaces.</p>
      <Problems error={error} />
      <LiveUpdates />
      {marketplaces(agency, 'offerings').map(([field, value]) => {
        const offerings = (value as { offerings: readonly ExplorerOfferingSummaryFragment[] } | null)?.offerings;
        return (
          <div key={field} className="marketplace">
            <h3>{title(field)}</h3>
            {offerings === undefined ? (
              <p>This marketplace did not answer (see the errors above).</p>
            ) : offerings.length === 0 ? (
              <p>No listings.</p>
            ) : (
              <ul data-testid={`offerings-${field}`}>
                {offerings.map((o) => (
                  <li key={o.id}>
                    <a href={`#/offering/${o.id}`}>{o.name}</a> — {o.provider.name}, {o.shelf.toLowerCase()} shelf, {o.customerCount} customers
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </section>
  );
}

function Offering({ id }: { id: string }) {
  const { data, error, loading } = useQuery(ExplorerOfferingDocument, { variables: { id }, errorPolicy: 'all' });
  // Each marketplace is asked; the one that lists the offering answers it.
  type Detail = NonNullable<NonNullable<NonNullable<typeof data>['grantsManagement']>['offering']>;
  const offering = data
    ? marketplaces(data, 'offering')
        .map(([, value]) => (value as { offering: Detail | null } | null)?.offering)
        .find(Boolean)
    : undefined;
  if (loading && !offering) return <p>Loading…</p>;
  if (!offering)
    return (
      <>
        <Problems error={error} />
        <p>No offering with id {id}.</p>
      </>
    );
  return (
    <section>
      <p>
        <a href="#/">All agencies</a>
      </p>
      <h2 data-testid="offering-name">{offering.name}</h2>
      <p>
        {offering.provider.name} · {offering.shelf.toLowerCase()} shelf · {offering.verification.toLowerCase()}
        {offering.launchedOn ? ` · launched ${offering.launchedOn}` : ''}
      </p>
      {offering.website ? (
        <p>
          <a href={offering.website}>{offering.website}</a>
        </p>
      ) : null}
      <Problems error={error} />
      <LiveUpdates domains={[offering.domain]} />
      <h3 data-testid="customer-count">{offering.customerCount} customers</h3>
      <ul data-testid="customers">
        {offering.customers.map((a) => (
          <li key={a.code}>
            <a href={`#/agency/${a.code}`}>{a.abbreviation || a.code}</a> {a.name}
          </li>
        ))}
      </ul>
    </section>
  );
}

function TokenBox() {
  const [token, setToken] = useState(tokenStore.get());
  return (
    <details>
      <summary>{token ? 'Signed in with a token' : 'Anonymous (paste a token to sign in)'}</summary>
      <textarea
        aria-label="Token"
        rows={3}
        cols={60}
        value={token}
        onChange={(e) => {
          setToken(e.target.value.trim());
          tokenStore.set(e.target.value.trim());
        }}
      />
    </details>
  );
}

function App() {
  const [page, arg] = useRoute();
  return (
    <main>
      <h1>QSMO Marketplace Explorer</h1>
      <TokenBox />
      {page === 'agency' && arg ? <Portfolio code={arg} /> : page === 'offering' && arg ? <Offering id={arg} /> : <AgencyPicker />}
    </main>
  );
}

const client = createExplorerClient(window.EXPLORER_CONFIG);
createRoot(document.getElementById('root')!).render(
  <ApolloProvider client={client}>
    <App />
  </ApolloProvider>,
);
