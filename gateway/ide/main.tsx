import { GraphiQL, HISTORY_PLUGIN, type GraphiQLProps } from 'graphiql';
import { useGraphiQL, useGraphiQLActions, type GraphiQLPlugin } from '@graphiql/react';
import type { ExecutionResult } from 'graphql';
import { useMemo, useState, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { cellText, type Cell } from '../src/cli/flatten';
import { barsOf, defaultLabel, labelColumns, numericColumns, sortRows, tableCsv, tableOf, type ResultTable, type SortDirection } from './results';
import 'graphiql/style.css';
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import './ide.css';

/**
 * The browser IDE served by the gateway: GraphiQL with the schema docs, and
 * the operations library as starting tabs and an Examples panel. Everything
 * it loads comes from the gateway itself (scripts, styles, fonts inlined,
 * Monaco workers), so it works on a network with no way out.
 */
interface Example {
  file: string;
  /** The operation's name, e.g. AgencyPortfolio. */
  name: string;
  audience: 'agencies' | 'providers' | 'analysts';
  title: string;
  description: string;
  query: string;
  variables: string;
}

interface PageConfig {
  /** Bundle version, appended to asset URLs so a rebuilt bundle is never served from a stale cache. */
  version: string;
  examples: Example[];
}

const config = JSON.parse(document.getElementById('qsmo-ide-config')?.textContent ?? '{}') as PageConfig;
// Relative to the page, so the IDE also works behind a proxy that serves the gateway under a path prefix.
const asset = (name: string) => new URL(`ide/${name}?v=${config.version}`, document.baseURI).href;

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const name = label === 'json' ? 'json.worker.js' : label === 'graphql' ? 'graphql.worker.js' : 'editor.worker.js';
    return new Worker(asset(name));
  },
};

/**
 * The analyst's sign-in: a bearer token kept in sessionStorage, so it lasts
 * as long as the browser tab and is gone when it closes; it is never put in
 * localStorage or in the URL.
 */
const TOKEN_KEY = 'qsmo-ide:token';

interface TokenClaims {
  sub?: string;
  roles?: string[];
  exp?: number;
}

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

const tokenListeners = new Set<() => void>();
function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  tokenListeners.forEach((l) => l());
}
const useToken = () =>
  useSyncExternalStore((l) => {
    tokenListeners.add(l);
    return () => tokenListeners.delete(l);
  }, readToken);

/** The claims a token shows (not verified here: the gateway verifies every request). */
function claimsOf(token: string): TokenClaims | undefined {
  const payload = token.split('.')[1];
  if (!payload || token.split('.').length !== 3) return undefined;
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as TokenClaims;
  } catch {
    return undefined;
  }
}

/** The last result the graph returned for an operation the user ran (not GraphiQL's schema introspection). */
interface LastResult {
  query: string;
  operationName?: string;
  data: unknown;
  hasErrors: boolean;
}
let lastResult: LastResult | undefined;
const resultListeners = new Set<() => void>();
const useLastResult = () =>
  useSyncExternalStore(
    (l) => {
      resultListeners.add(l);
      return () => resultListeners.delete(l);
    },
    () => lastResult,
  );

const fetcher: GraphiQLProps['fetcher'] = async (params, options) => {
  const token = readToken();
  const response = await fetch(new URL('graphql', document.baseURI), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...options?.headers,
    },
    body: JSON.stringify(params),
  });
  const body = (await response.json()) as ExecutionResult;
  if (params.operationName !== 'IntrospectionQuery') {
    lastResult = { query: params.query, operationName: params.operationName ?? undefined, data: body.data ?? null, hasErrors: Boolean(body.errors?.length) };
    resultListeners.forEach((l) => l());
  }
  return body;
};

/** The query and variables live in the page's URL (?query=&variables=), so the address is a link to share. */
function urlState(): { query?: string; variables?: string } {
  const params = new URLSearchParams(location.search);
  return { query: params.get('query') ?? undefined, variables: params.get('variables') ?? undefined };
}

function writeUrl(key: 'query' | 'variables', value: string): void {
  const url = new URL(location.href);
  if (value.trim()) url.searchParams.set(key, value);
  else url.searchParams.delete(key);
  history.replaceState(null, '', url);
}

const AUDIENCES: { key: Example['audience']; heading: string }[] = [
  { key: 'agencies', heading: 'For agencies' },
  { key: 'providers', heading: 'For providers' },
  { key: 'analysts', heading: 'For analysts' },
];

function ExamplesPanel() {
  const queryEditor = useGraphiQL((s) => s.queryEditor);
  const variableEditor = useGraphiQL((s) => s.variableEditor);
  const { setOperationName } = useGraphiQLActions();
  const open = (example: Example) => {
    queryEditor?.setValue(example.query);
    variableEditor?.setValue(example.variables);
    // GraphiQL learns the operation name from the editor after a delay; a quick run would send the old one.
    setOperationName(example.name);
  };
  return (
    <div className="qsmo-examples">
      <div className="graphiql-doc-explorer-title">Examples</div>
      <p className="qsmo-examples-intro">
        The operations library (gateway/operations). Open one in the current tab, then run it with the play button or Ctrl-Enter. The same files run from a
        terminal with <code>npm run -s query -- gateway/operations/&lt;file&gt;</code>.
      </p>
      {AUDIENCES.map(({ key, heading }) => (
        <section key={key}>
          <h3>{heading}</h3>
          <ul>
            {config.examples
              .filter((e) => e.audience === key)
              .map((example) => (
                <li key={example.file}>
                  <button type="button" className="qsmo-example" data-file={example.file} onClick={() => open(example)}>
                    {example.title}
                  </button>
                  <p>{example.description}</p>
                </li>
              ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function SignInPanel() {
  const token = useToken();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const claims = token ? claimsOf(token) : undefined;
  const signIn = () => {
    const value = draft.trim().replace(/^Bearer\s+/i, '');
    const c = claimsOf(value);
    if (!c) return setProblem('This is not a token: paste the whole output of npm run token (three parts separated by dots).');
    if (typeof c.exp === 'number' && c.exp * 1000 <= Date.now())
      return setProblem(`This token expired at ${new Date(c.exp * 1000).toLocaleString()}: get a new one.`);
    setProblem(undefined);
    setDraft('');
    setToken(value);
  };
  return (
    <div className="qsmo-signin">
      <div className="graphiql-doc-explorer-title">Sign in</div>
      {token ? (
        <div className="qsmo-signed-in" data-testid="signed-in">
          <p>
            Signed in as <strong>{claims?.sub ?? 'unknown'}</strong>
            {claims?.roles?.length ? (
              <>
                {' '}
                with the role{claims.roles.length > 1 ? 's' : ''} <strong>{claims.roles.join(', ')}</strong>
              </>
            ) : (
              ' with no role'
            )}
            .
          </p>
          {typeof claims?.exp === 'number' && <p>The token expires at {new Date(claims.exp * 1000).toLocaleString()}.</p>}
          <p className="qsmo-muted">Every operation you run is sent with it. It is kept for this browser tab only and forgotten when the tab closes.</p>
          <button type="button" className="qsmo-button" onClick={() => setToken(null)}>
            Sign out
          </button>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            signIn();
          }}
        >
          <p className="qsmo-muted">
            Anonymous readers get a small budget per operation. Sign in with a bearer token to run analysts&apos; operations (operations outside the library,
            larger pages).
          </p>
          <label htmlFor="qsmo-token">Token</label>
          <textarea id="qsmo-token" rows={5} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="eyJhbGciOi..." spellCheck={false} />
          {problem && (
            <p className="qsmo-problem" role="alert">
              {problem}
            </p>
          )}
          <button type="submit" className="qsmo-button">
            Sign in
          </button>
          <p className="qsmo-muted">
            In development, get one with <code>npm run -s token -- --role analyst</code> (the stack started by <code>npm start</code>). Elsewhere, your identity
            provider issues it. It is kept for this browser tab only (sessionStorage).
          </p>
        </form>
      )}
    </div>
  );
}

function SignInIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="12" cy="8" r="4" />
      <path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" strokeLinecap="round" />
    </svg>
  );
}

const SIGN_IN_PLUGIN: GraphiQLPlugin = { title: 'Sign in', icon: SignInIcon, content: SignInPanel };

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ResultsTable({ table, name }: { table: ResultTable; name: string }) {
  const [sort, setSort] = useState<{ column: number; direction: SortDirection } | undefined>();
  const rows = useMemo(() => (sort ? sortRows(table.rows, sort.column, sort.direction) : table.rows), [table, sort]);
  const toggle = (column: number) =>
    setSort((s) =>
      s?.column === column ? { column, direction: s.direction === 'ascending' ? 'descending' : 'ascending' } : { column, direction: 'ascending' },
    );
  return (
    <>
      <div className="qsmo-results-bar">
        <span>
          {table.rows.length} row{table.rows.length === 1 ? '' : 's'}, {table.headers.length} column{table.headers.length === 1 ? '' : 's'}
        </span>
        <button type="button" className="qsmo-button" onClick={() => download(`${name}.csv`, tableCsv({ headers: table.headers, rows }))}>
          Download CSV
        </button>
      </div>
      <div className="qsmo-table-wrap">
        <table className="qsmo-table">
          <thead>
            <tr>
              {table.headers.map((h, i) => (
                <th key={i} aria-sort={sort?.column === i ? sort.direction : 'none'}>
                  <button type="button" onClick={() => toggle(i)} title={`Sort by ${h}`}>
                    {h}
                    <span aria-hidden="true">{sort?.column === i ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={r}>
                {row.map((c, i) => (
                  <td key={i} className={typeof c === 'number' ? 'qsmo-number' : undefined}>
                    {cellText(c as Cell, ', ')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

const BAR_HEIGHT = 22;
const LABEL_WIDTH = 260;
const CHART_WIDTH = 760;

function ResultsChart({ table }: { table: ResultTable }) {
  const values = numericColumns(table);
  const labels = labelColumns(table);
  const [value, setValue] = useState<number | undefined>(values[0]);
  const [label, setLabel] = useState<number | undefined>(defaultLabel(table, labels));
  const v = value !== undefined && values.includes(value) ? value : values[0];
  const l = label !== undefined && labels.includes(label) ? label : defaultLabel(table, labels);
  if (v === undefined || l === undefined) {
    return <p className="qsmo-muted qsmo-results-empty">Nothing to chart: a bar chart needs a column of numbers and a column of text in the result.</p>;
  }
  const { bars, total } = barsOf(table, v, l);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const scale = (CHART_WIDTH - LABEL_WIDTH - 60) / max;
  const height = bars.length * BAR_HEIGHT + 10;
  return (
    <>
      <div className="qsmo-results-bar">
        <label>
          Bars{' '}
          <select aria-label="Bar value" value={v} onChange={(e) => setValue(Number(e.target.value))}>
            {values.map((i) => (
              <option key={i} value={i}>
                {table.headers[i]}
              </option>
            ))}
          </select>
        </label>
        <label>
          by{' '}
          <select aria-label="Bar label" value={l} onChange={(e) => setLabel(Number(e.target.value))}>
            {labels.map((i) => (
              <option key={i} value={i}>
                {table.headers[i]}
              </option>
            ))}
          </select>
        </label>
        {total > bars.length && (
          <span className="qsmo-muted">
            the {bars.length} largest of {total}
          </span>
        )}
      </div>
      <div className="qsmo-table-wrap">
        <svg
          className="qsmo-chart"
          role="img"
          aria-label={`${table.headers[v]} by ${table.headers[l]}`}
          width={CHART_WIDTH}
          height={height}
          viewBox={`0 0 ${CHART_WIDTH} ${height}`}
        >
          {bars.map((b, i) => (
            <g key={i} transform={`translate(0, ${i * BAR_HEIGHT + 5})`}>
              <text x={LABEL_WIDTH - 8} y={BAR_HEIGHT / 2} dominantBaseline="middle" textAnchor="end">
                {b.label.length > 38 ? `${b.label.slice(0, 37)}…` : b.label}
                <title>{b.label}</title>
              </text>
              <rect x={LABEL_WIDTH} y={3} width={Math.max(1, b.value * scale)} height={BAR_HEIGHT - 6} rx={2} />
              <text x={LABEL_WIDTH + Math.max(1, b.value * scale) + 6} y={BAR_HEIGHT / 2} dominantBaseline="middle">
                {b.value.toLocaleString('en-US')}
              </text>
            </g>
          ))}
        </svg>
      </div>
    </>
  );
}

/** Under the JSON response: the same result as a sortable table with a CSV download, or as a bar chart. */
function ResultsPanel() {
  const result = useLastResult();
  const schema = useGraphiQL((s) => s.schema);
  const [view, setView] = useState<'table' | 'chart' | 'hidden'>('table');
  const table = useMemo(() => (result ? tableOf(result.data, result.query, result.operationName, schema) : undefined), [result, schema]);
  if (!result || !table) return <div className="qsmo-results qsmo-results-idle">Run an operation to see its result as a table or a chart here.</div>;
  const tab = (key: typeof view, text: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={view === key}
      className={view === key ? 'qsmo-tab qsmo-tab-active' : 'qsmo-tab'}
      onClick={() => setView(key)}
    >
      {text}
    </button>
  );
  return (
    <div className={view === 'hidden' ? 'qsmo-results qsmo-results-hidden' : 'qsmo-results'}>
      <div className="qsmo-tabs" role="tablist">
        {tab('table', 'Table')}
        {tab('chart', 'Chart')}
        {tab('hidden', 'Hide')}
        {result.hasErrors && (
          <span className="qsmo-problem">The graph answered with errors (see the response above); the table shows the data it returned.</span>
        )}
      </div>
      {view === 'table' &&
        (table.rows.length > 0 ? (
          <ResultsTable key={result.query + String(table.rows.length)} table={table} name={result.operationName ?? 'result'} />
        ) : (
          <p className="qsmo-muted qsmo-results-empty">No rows: the result holds no data.</p>
        ))}
      {view === 'chart' && <ResultsChart key={result.query + String(table.rows.length)} table={table} />}
    </div>
  );
}

function ExamplesIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M9 6h11M9 12h11M9 18h11" strokeLinecap="round" />
      <circle cx="4.5" cy="6" r="1.25" />
      <circle cx="4.5" cy="12" r="1.25" />
      <circle cx="4.5" cy="18" r="1.25" />
    </svg>
  );
}

const EXAMPLES_PLUGIN: GraphiQLPlugin = { title: 'Examples', icon: ExamplesIcon, content: ExamplesPanel };

/** True before GraphiQL has stored any tabs in this browser. */
function firstVisit(): boolean {
  try {
    return localStorage.getItem('graphiql:tabs') === null;
  } catch {
    return true;
  }
}

function App() {
  // A shared link opens its query (and variables) in a tab of its own.
  const shared = urlState();
  return (
    <GraphiQL
      fetcher={fetcher}
      plugins={[EXAMPLES_PLUGIN, SIGN_IN_PLUGIN, HISTORY_PLUGIN]}
      visiblePlugin={EXAMPLES_PLUGIN}
      defaultTabs={[
        ...(shared.query !== undefined ? [{ query: shared.query, variables: shared.variables ?? '' }] : []),
        ...config.examples.map((e) => ({ query: e.query, variables: e.variables })),
      ]}
      initialQuery={shared.query}
      // GraphiQL 5 opens the first default tab with its query but without its variables; give them on a first visit
      // only, since later the tabs stored in the browser are what the user left.
      initialVariables={shared.query !== undefined ? shared.variables : firstVisit() ? config.examples[0]?.variables : undefined}
      onEditQuery={(value) => writeUrl('query', value)}
      onEditVariables={(value) => writeUrl('variables', value)}
      defaultEditorToolsVisibility="variables"
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>QSMO graph</GraphiQL.Logo>
      <GraphiQL.Footer>
        <ResultsPanel />
      </GraphiQL.Footer>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')!).render(<App />);
