import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { IDENTITY_HEADER, secretBytes, signInternalToken } from '@qsmo/service-kit/auth/internal-token';
import type { Identity } from '@qsmo/service-kit/auth/identity';
import { openSeededDatabase, testMongoUri, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * FerretDB v1 has no transactions, so a change is written in a crash-safe
 * order (domain/changes.ts). This kills a real subgraph process with SIGKILL
 * inside a write, after each of its steps, restarts it, and checks that the
 * change is there whole: the offering's version, its customer codes, the
 * listing itself and the committed audit record agree.
 */
const SECRET = randomBytes(32).toString('hex');
const EDITOR: Identity = { subject: 'grm-editor@hhs.gov', issuer: 'https://login.example.gov', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] };
const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!.definition;

let database: TestDatabase;
const children: ChildProcess[] = [];

beforeAll(async () => {
  database = await openSeededDatabase(grants);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await database?.drop();
});

/** Starts the subgraph and resolves with its URL (or with "paused" once a write stops there). */
function start(pauseAt?: string): { child: ChildProcess; ready: Promise<string>; paused: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/support/catalog-crash-subgraph.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      CRASH_MONGODB_URI: testMongoUri(),
      CRASH_DB: database.db.databaseName,
      CRASH_SECRET: SECRET,
      ...(pauseAt ? { CRASH_PAUSE_AT: pauseAt } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const seen = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (m) resolve(m);
      };
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        check();
      });
      child.on('exit', (code, signal) => reject(new Error(`subgraph exited (${code ?? signal}) before ${pattern}: ${err.slice(-2000)}`)));
      setTimeout(() => reject(new Error(`no ${pattern} within 30 s: ${out}${err.slice(-2000)}`)), 30_000).unref();
    });
  const paused = pauseAt ? seen(/PAUSED (\w+)/).then(() => undefined) : Promise.resolve();
  paused.catch(() => undefined);
  return { child, ready: seen(/READY (\S+)/).then((m) => m[1]!), paused };
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await signInternalToken(EDITOR, secretBytes(SECRET), 'grants-management') },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

const READ = `query($id: ID!) { grantsManagement { offering(id: $id) { version customers { code } customerLinks { agency { code } } history { id version mutation } } } }`;
const ADD = `mutation($input: GrantsManagementCustomerListingInput!) { addGrantsManagementCustomerListing(input: $input) { offering { version } userErrors { code message } } }`;
const OFFERING = 'grm-era';

async function killAndRestart(step: string, agencyCode: string): Promise<void> {
  const first = start(step);
  const url = await first.ready;
  const before = (await post(url, READ, { id: OFFERING })).data.grantsManagement.offering;
  // The write is left hanging: the process is killed while it waits after `step`.
  const write = post(url, ADD, {
    input: {
      offeringId: OFFERING,
      version: before.version,
      agencyCode,
      asOf: '2026-01',
      provenance: { sources: [{ title: 'Crash test', url: 'https://example.gov/crash' }], verification: 'UNVERIFIED' },
    },
  });
  const answered = await Promise.race([
    first.paused.then(() => undefined),
    write.then(
      (body) => body,
      () => undefined,
    ),
  ]);
  if (answered) throw new Error(`the write answered instead of pausing after ${step}: ${JSON.stringify(answered)}`);
  const killedAt = Date.now();
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));

  const second = start();
  const url2 = await second.ready;
  const after = (await post(url2, READ, { id: OFFERING })).data.grantsManagement.offering;
  // Whole: the new version, the agency among the customers and the listings, and one committed audit record for it.
  expect(after.version).toBe(before.version + 1);
  expect(after.customers.map((c: { code: string }) => c.code)).toContain(agencyCode);
  expect(after.customerLinks.map((l: { agency: { code: string } }) => l.agency.code)).toContain(agencyCode);
  expect(after.history.at(-1)).toEqual({
    id: `${OFFERING}@${before.version + 1}`,
    version: before.version + 1,
    mutation: 'addGrantsManagementCustomerListing',
  });
  expect(after.customers.length).toBe(after.customerLinks.length);
  const pending = await database.db.collection('changes').countDocuments({ state: 'pending' });
  expect(pending).toBe(0);
  expect(Date.now() - killedAt).toBeLessThan(30_000);
  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));
}

test.each([
  ['the audit record is written', 'recorded', '020'],
  ['the offering is updated', 'offering', '069'],
  ['the listings are written, before the commit', 'listings', '086'],
])(
  'killed after %s: after a restart the change is there whole',
  async (_, step, agency) => {
    await killAndRestart(step, agency);
  },
  60_000,
);
