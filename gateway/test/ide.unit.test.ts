import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ConfigError } from '@qsmo/service-kit/errors';
import { createLogger } from '@qsmo/service-kit/logger';
import { EnvReader, REPO_ROOT } from '@qsmo/service-kit/config';
import { composeSupergraph, localSubgraphSources } from '../src/compose';
import { IDE_CSP, idePage, ideRoutes } from '../src/ide';
import type { IdeBundle } from '../src/ide-build';
import { readIdeConfig } from '../src/ide-config';
import { loadOperationsLibrary, type LibraryOperation } from '../src/operations';
import { createGatewayServer, type GatewayServer } from '../src/server';
import { SUBGRAPHS } from '../src/subgraphs';

/**
 * The IDE's HTTP side without a browser: which requests get the page, the
 * bundle's files, and the configuration. (The browser test loads it for real.)
 */
const library = loadOperationsLibrary();

function fakeBundle(): IdeBundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-ide-'));
  const files = { 'main.js': 'console.log("ide")', 'main.css': 'body{}' };
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), content);
    fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(content));
  }
  return { dir, manifest: { fingerprint: 'abc123', files: Object.keys(files) } };
}

describe('served by the gateway', () => {
  let bundle: IdeBundle;
  let server: GatewayServer;
  let base: string;
  beforeAll(async () => {
    bundle = fakeBundle();
    // The subgraphs are never called: these requests are answered by the gateway itself.
    const endpoints = SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: 'http://127.0.0.1:9/graphql' }));
    server = createGatewayServer({
      supergraph: composeSupergraph(localSubgraphSources(endpoints)).supergraphSdl,
      logger: createLogger('gateway', 'silent'),
      routes: ideRoutes(bundle, library),
    });
    base = (await server.http.listen(0, '127.0.0.1')).replace(/graphql$/, '');
  });
  afterAll(async () => {
    await server.http.stop();
    fs.rmSync(bundle.dir, { recursive: true, force: true });
  });

  test('GET / is the IDE page, with the examples and a policy allowing nothing from elsewhere', async () => {
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(IDE_CSP);
    expect(IDE_CSP).toMatch(/default-src 'none'/);
    expect(IDE_CSP).not.toMatch(/https?:|\*/);
    const html = await res.text();
    expect(html).toContain('<script src="ide/main.js?v=abc123"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const config = JSON.parse(/<script id="qsmo-ide-config" type="application\/json">(.*)<\/script>/.exec(html)![1]!);
    expect(config.examples.map((e: { file: string }) => e.file)).toEqual(library.map((op) => op.file));
    expect(config.examples[0]).toMatchObject({ file: 'agency-portfolio.graphql', audience: 'agencies', variables: '{\n  "code": "075"\n}' });
  });

  test('GET /graphql gives browsers the page and GraphQL clients GraphQL', async () => {
    const browser = await fetch(`${base}graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const client = await fetch(`${base}graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await client.json()).toEqual({ data: { __typename: 'Query' } });
    const post = await fetch(`${base}graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/html' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('content-type')).toMatch(/json/);
  });

  test('bundle files: gzip for clients that take it, cached for good because the URL carries the version', async () => {
    const gz = await fetch(`${base}ide/main.js`);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(await gz.text()).toBe('console.log("ide")');
    expect(gz.headers.get('cache-control')).toMatch(/immutable/);
    expect(gz.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const plain = await fetch(`${base}ide/main.css`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe('body{}');
    expect((await fetch(`${base}ide/other.js`)).status).toBe(404);
  });
});

test('the IDE client type-checks (npm run typecheck:ide)', () => {
  // The root tsconfig is for Node; the browser code has its own, with the DOM.
  const tscBin = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const tsc = spawnSync(process.execPath, [tscBin, '-p', 'gateway/ide/tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 60_000);

test('the examples cannot break out of their script element', () => {
  const evil = { ...library[0]!, description: '</script><script>alert(1)</script> & <!--' } as LibraryOperation;
  const html = idePage('v1', [evil]);
  expect(html.match(/<\/script>/g)).toHaveLength(2);
  const json = /<script id="qsmo-ide-config" type="application\/json">(.*)<\/script>/.exec(html)![1]!;
  expect(JSON.parse(json).examples[0].description).toBe(evil.description);
});

describe('IDE_ENABLED', () => {
  const read = (env: NodeJS.ProcessEnv) => {
    const reader = new EnvReader(env);
    const config = readIdeConfig(reader);
    reader.done();
    return config.enabled;
  };

  test('on by default, off by default in production, and config wins either way', () => {
    expect(read({})).toBe(true);
    expect(read({ NODE_ENV: 'production' })).toBe(false);
    expect(read({ NODE_ENV: 'production', IDE_ENABLED: 'true' })).toBe(true);
    expect(read({ IDE_ENABLED: 'false' })).toBe(false);
  });

  test('a value that is not a boolean is a configuration error naming it', () => {
    expect(() => read({ IDE_ENABLED: 'maybe' })).toThrow(ConfigError);
    expect(() => read({ IDE_ENABLED: 'maybe' })).toThrow(/IDE_ENABLED="maybe" must be true or false/);
  });
});
