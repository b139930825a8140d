import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@qsmo/service-kit/logger';
import type { Route } from '@qsmo/service-kit/http/service';
import { ensureIdeBundle, type IdeBundle } from './ide-build';
import { loadOperationsLibrary, type LibraryOperation } from './operations';

/**
 * The browser IDE at GET / (and GET /graphql for browsers): a page loading
 * the GraphiQL bundle built by ide-build.ts, with the operations library as
 * its examples. Served entirely by the gateway, under a Content-Security-
 * Policy that allows nothing from another origin, so it works air-gapped.
 */
// data: for the fonts and icons inlined in the CSS; 'unsafe-inline' styles because Monaco and GraphiQL set style attributes.
export const IDE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The examples as the page needs them: variables pre-formatted for the variables editor. */
function pageExamples(library: LibraryOperation[]) {
  return library.map((op) => ({
    file: op.file,
    name: op.name,
    audience: op.audience,
    title: op.title,
    description: op.description,
    query: op.source,
    variables: Object.keys(op.variables).length > 0 ? JSON.stringify(op.variables, null, 2) : '',
  }));
}

/** JSON safe inside a <script> element: no "</script>" or HTML comment can close it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

export function idePage(version: string, library: LibraryOperation[]): string {
  const v = encodeURIComponent(version);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QSMO shared-services graph</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="ide/main.css?v=${v}">
</head>
<body>
<div id="graphiql"><noscript>The QSMO graph IDE needs JavaScript. GraphQL itself is served at /graphql.</noscript></div>
<script id="qsmo-ide-config" type="application/json">${scriptJson({ version, examples: pageExamples(library) })}</script>
<script src="ide/main.js?v=${v}"></script>
</body>
</html>
`;
}

const prefersHtml = (req: IncomingMessage) => /\btext\/html\b/.test(req.headers.accept ?? '');

function send(res: ServerResponse, type: string, body: Buffer | string, headers: Record<string, string>): void {
  res.statusCode = 200;
  res.setHeader('content-type', type);
  res.setHeader('x-content-type-options', 'nosniff');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(body);
}

/**
 * Route handlers for createGatewayServer's `routes`: the page at GET / and
 * at GET /graphql when the client asks for HTML (GraphQL clients keep
 * getting GraphQL there), and the bundle's files under /ide/. Files are read
 * once, here; gzip is served to clients that accept it.
 */
export function ideRoutes(bundle: IdeBundle, library: LibraryOperation[] = loadOperationsLibrary()): Record<string, Route> {
  const html = idePage(bundle.manifest.fingerprint, library);
  const page = (_req: IncomingMessage, res: ServerResponse) =>
    send(res, 'text/html; charset=utf-8', html, { 'cache-control': 'no-cache', 'content-security-policy': IDE_CSP, 'referrer-policy': 'no-referrer' });
  const routes: Record<string, Route> = {
    'GET /': page,
    'GET /graphql': { accepts: prefersHtml, handle: page },
  };
  for (const file of bundle.manifest.files) {
    const plain = fs.readFileSync(path.join(bundle.dir, file));
    const gzipped = fs.readFileSync(path.join(bundle.dir, `${file}.gz`));
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    routes[`GET /ide/${file}`] = (req, res) => {
      // Asset URLs carry the bundle version (?v=), so a cached copy is never stale.
      const headers: Record<string, string> = { 'cache-control': 'public, max-age=31536000, immutable', vary: 'accept-encoding' };
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) send(res, type, gzipped, { ...headers, 'content-encoding': 'gzip' });
      else send(res, type, plain, headers);
    };
  }
  return routes;
}

/** The IDE's routes for a gateway process: builds the bundle first when it is missing or outdated. */
export async function createIdeRoutes(logger: Logger): Promise<Record<string, Route>> {
  const started = Date.now();
  let bundle: IdeBundle;
  try {
    bundle = await ensureIdeBundle((reason) => logger.info(`building the browser IDE bundle because ${reason}`));
  } catch (error) {
    throw new Error(
      `The browser IDE is enabled but its bundle could not be built (${error instanceof Error ? error.message : String(error)}). ` +
        'Run npm run build:ide to see the full error, or set IDE_ENABLED=false.',
    );
  }
  if (Date.now() - started > 1000) logger.info(`browser IDE bundle ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return ideRoutes(bundle);
}
