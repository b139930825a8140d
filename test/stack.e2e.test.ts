import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testPort } from './support/ports';
import { spawnTs, type TsProcess } from './support/service-process';
import { post } from './support/graphql';
import { envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

/**
 * `npm start` as a developer runs it: embedded database, seeding, four
 * subgraph processes and the gateway; Ctrl-C leaves nothing behind, and a
 * second start reuses the built database and the seeded data.
 */
jest.setTimeout(240_000);

type Stack = TsProcess;

async function startStack(env: NodeJS.ProcessEnv): Promise<Stack> {
  // Its own process group, like a terminal's foreground job, so Ctrl-C can reach every process at once.
  // NODE_ENV as a developer has it: jest's "test" would hide Apollo's own signal handling.
  const stack = spawnTs('shared/dev-tools/src/stack.ts', [], { NODE_ENV: 'development', ...env }, { detached: true });
  const deadline = Date.now() + 180_000;
  while (!stack.output().includes('Press Ctrl-C to stop')) {
    if (stack.child.exitCode !== null || Date.now() > deadline) throw new Error(`the stack did not start:\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return stack;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid of the stack's child running `entry`, found in /proc by its process group and command line. */
function childPid(group: number, entry: string): number {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === group && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry)) return Number(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  throw new Error(`no process running ${entry}`);
}

test('npm start serves the graph, stops cleanly on Ctrl-C, and restarts on the same data', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-stack-'));
  // The gateway's port, one per subgraph, then the database's.
  const ports = await Promise.all([null, ...SUBGRAPHS, null].map(() => testPort()));
  const servicePorts = ports.slice(0, SUBGRAPHS.length + 1);
  // The directory's own free port, so parallel runs never meet on its default.
  const directoryPort = await testPort();
  const env = {
    MONGODB_URI: '',
    EMBEDDED_DB_DIR: dataDir,
    EMBEDDED_DB_PORT: String(ports[SUBGRAPHS.length + 1]),
    PORT: String(ports[0]),
    ...Object.fromEntries(SUBGRAPHS.map((s, i) => [envName(s.name, 'PORT'), String(ports[i + 1])])),
    [envName(DIRECTORY.name, 'PORT')]: String(directoryPort),
    SUPERGRAPH_OUT: path.join(dataDir, 'supergraph.graphql'),
  };
  try {
    const first = await startStack(env);
    for (const port of [...servicePorts, directoryPort]) expect(first.output()).toContain(`http://localhost:${port}/graphql`);
    expect(first.output()).toMatch(/seeded/);
    // The local schemas are published to the registry, and the gateway serves what the registry holds.
    expect(first.output()).toContain(
      `schema registry qsmo_registry: published supergraph v1 (new: ${[...SUBGRAPHS, DIRECTORY].map((s) => `${s.name} v1`).join(', ')})`,
    );
    expect(first.output()).toMatch(/serving supergraph v1 from the registry/);
    const r = await post(`http://localhost:${ports[0]}/graphql`, '{ agency(code: "075") { name grantsManagement { offerings { id name } } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data.agency.grantsManagement.offerings.map((o: any) => o.name)).toContain('GrantSolutions');
    const dbPid = JSON.parse(fs.readFileSync(path.join(dataDir, 'ferretdb.pid'), 'utf8')).pid as number;

    // Ctrl-C in a terminal: SIGINT to the whole process group at once.
    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    for (const { name } of SUBGRAPHS) {
      expect(first.output()).toContain(`[${name}] drained: in-flight requests finished`);
    }
    expect(first.output()).not.toMatch(/exiting now/);
    expect(alive(dbPid)).toBe(false);
    for (const port of ports) await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();

    const second = await startStack(env);
    expect(second.output()).not.toMatch(/building FerretDB/);
    expect(second.output()).not.toMatch(/seeded/);
    expect(second.output()).toMatch(/the local schemas are already published \(supergraph v1\)/);
    const again = await post(`http://localhost:${ports[0]}/graphql`, '{ agency(code: "075") { name } }');
    expect(again.data.agency.name).toBe('Department of Health and Human Services');

    // A killed subgraph is restarted by the supervisor and answers again within seconds.
    const grantsIndex = SUBGRAPHS.findIndex((s) => s.name === 'grants-management');
    process.kill(childPid(second.child.pid!, 'subgraphs/grants-management/src/index.ts'), 'SIGKILL');
    const killedAt = Date.now();
    let back = false;
    while (!back && Date.now() - killedAt < 30_000) {
      await new Promise((r) => setTimeout(r, 200));
      back = await fetch(`http://127.0.0.1:${ports[grantsIndex + 1]}/health/ready`).then(
        (res) => res.ok,
        () => false,
      );
    }
    expect(back).toBe(true);
    process.stdout.write(`FAULT stack-subgraph-killed {"backAfterMs":${Date.now() - killedAt}}\n`);
    expect(second.output()).toContain('grants-management died (signal SIGKILL); restarting in 1 s');
    const whole = await post(`http://localhost:${ports[0]}/graphql`, '{ agency(code: "075") { grantsManagement { offerings { id } } } }');
    expect(whole.errors).toBeUndefined();

    // A hung subgraph (SIGSTOP: the process lives, its socket accepts, nothing answers) costs its own area only,
    // within the deadline, and the graph is whole again soon after it resumes.
    const portfolio =
      '{ agency(code: "075") { name financialManagement { offeringCount } humanResources { offeringCount } grantsManagement { offerings { id } } cybersecurity { offeringCount } } }';
    const grantsPid = childPid(second.child.pid!, 'subgraphs/grants-management/src/index.ts');
    process.kill(grantsPid, 'SIGSTOP');
    try {
      const hungAt = Date.now();
      const partial = await post(`http://localhost:${ports[0]}/graphql`, portfolio);
      const hungMs = Date.now() - hungAt;
      expect(hungMs).toBeLessThan(5_000);
      expect(partial.data.agency.name).toBe('Department of Health and Human Services');
      expect(partial.data.agency.grantsManagement).toBeNull();
      expect(partial.data.agency.humanResources.offeringCount).toBeGreaterThan(0);
      const errors = partial.errors ?? [];
      expect(errors.map((e: any) => e.extensions.code)).toContain('SUBGRAPH_TIMEOUT');
      expect(errors.find((e: any) => e.extensions.code === 'SUBGRAPH_TIMEOUT')?.message).toMatch(/Grants Management/);
      const otherAt = Date.now();
      const other = await post(`http://localhost:${ports[0]}/graphql`, '{ humanResources { offerings(first: 3) { totalCount } } }');
      expect(other.errors).toBeUndefined();
      process.stdout.write(`FAULT stack-subgraph-sigstop {"portfolioMs":${hungMs},"otherAreaMs":${Date.now() - otherAt}}\n`);
    } finally {
      process.kill(grantsPid, 'SIGCONT');
    }
    const resumedAt = Date.now();
    let recovered = false;
    while (!recovered && Date.now() - resumedAt < 20_000) {
      const r = await post(`http://localhost:${ports[0]}/graphql`, portfolio);
      recovered = r.errors === undefined && r.data.agency.grantsManagement.offerings.length > 0;
      if (!recovered) await new Promise((done) => setTimeout(done, 250));
    }
    expect(recovered).toBe(true);
    process.stdout.write(`FAULT stack-subgraph-sigcont {"wholeAgainAfterMs":${Date.now() - resumedAt}}\n`);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
