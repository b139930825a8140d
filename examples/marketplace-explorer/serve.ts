import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * `npm run example:explorer`: bundles the explorer with esbuild and serves
 * it on its own origin (EXPLORER_PORT, default 5173), talking to the graph
 * at GRAPH_URL (default http://localhost:4000/graphql, what `npm start`
 * serves). The gateway must list this origin in CORS_ORIGINS.
 */
const HERE = __dirname;
const { version } = require('./package.json') as { version: string };

export interface ExplorerOptions {
  port: number;
  host: string;
  graphUrl: string;
}

export interface RunningExplorer {
  url: string;
  stop(): Promise<void>;
}

/** The page, with where the graph is written into it: one bundle serves any graph. */
function page(graphUrl: string): string {
  const config = JSON.stringify({ graphUrl, clientName: 'marketplace-explorer', clientVersion: version }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QSMO Marketplace Explorer</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #1b1b1b; }
  h1 { font-size: 1.5rem; margin-bottom: .5rem; } h2 { margin-top: 1rem; }
  a { color: #005ea2; } ul { padding-left: 1.2rem; } li { margin: .15rem 0; }
  .problems { color: #b50909; } .live { color: #00754a; font-size: .9rem; }
  .marketplace h3 { margin-bottom: .2rem; font-size: 1.05rem; }
</style>
</head>
<body>
<div id="root"></div>
<script>window.EXPLORER_CONFIG = ${config};</script>
<script src="/main.js"></script>
</body>
</html>
`;
}

export async function startExplorer(options: ExplorerOptions): Promise<RunningExplorer> {
  const bundle = await build({
    entryPoints: [path.join(HERE, 'src', 'main.tsx')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const script = bundle.outputFiles[0]!.contents;
  const html = page(options.graphUrl);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://explorer');
    if (url.pathname === '/main.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }).end(script);
    } else if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(html);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the explorer serves / and /main.js.\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host === '0.0.0.0' ? 'localhost' : options.host}:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readOptions(env: NodeJS.ProcessEnv): ExplorerOptions {
  const port = Number(env.EXPLORER_PORT ?? 5173);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`EXPLORER_PORT=${env.EXPLORER_PORT} is not a port: give a number from 1 to 65535, e.g. 5173.`);
  const graphUrl = env.GRAPH_URL ?? 'http://localhost:4000/graphql';
  try {
    new URL(graphUrl);
  } catch {
    throw new Error(`GRAPH_URL=${graphUrl} is not a URL: give the gateway's GraphQL endpoint, e.g. http://localhost:4000/graphql.`);
  }
  return { port, host: env.EXPLORER_HOST ?? 'localhost', graphUrl };
}

if (require.main === module) {
  void (async () => {
    const options = readOptions(process.env);
    const running = await startExplorer(options);
    process.stdout.write(
      `The marketplace explorer is at ${running.url}, using the graph at ${options.graphUrl}.\n` +
        `The gateway must allow this origin: start the graph with CORS_ORIGINS=${running.url} npm start.\n`,
    );
  })().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
