import { GraphiQL, HISTORY_PLUGIN, type GraphiQLProps } from 'graphiql';
import { useGraphiQL, useGraphiQLActions, type GraphiQLPlugin } from '@graphiql/react';
import { createRoot } from 'react-dom/client';
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

const fetcher: GraphiQLProps['fetcher'] = async (params, options) => {
  const response = await fetch(new URL('graphql', document.baseURI), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...options?.headers },
    body: JSON.stringify(params),
  });
  return response.json();
};

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
        The operations library (gateway/operations). Open one in the current tab, then run it with the play button or Ctrl-Enter.
        The same files run from a terminal with <code>npm run -s query -- gateway/operations/&lt;file&gt;</code>.
      </p>
      {AUDIENCES.map(({ key, heading }) => (
        <section key={key}>
          <h3>{heading}</h3>
          <ul>
            {config.examples.filter((e) => e.audience === key).map((example) => (
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
  return (
    <GraphiQL
      fetcher={fetcher}
      plugins={[EXAMPLES_PLUGIN, HISTORY_PLUGIN]}
      visiblePlugin={EXAMPLES_PLUGIN}
      defaultTabs={config.examples.map((e) => ({ query: e.query, variables: e.variables }))}
      // GraphiQL 5 opens the first default tab with its query but without its variables; give them on a first visit
      // only, since later the tabs stored in the browser are what the user left.
      initialVariables={firstVisit() ? config.examples[0]?.variables : undefined}
      defaultEditorToolsVisibility="variables"
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>QSMO graph</GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')!).render(<App />);
