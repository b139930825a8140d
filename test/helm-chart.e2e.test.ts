import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DIRECTORY, REPO_ROOT, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { ensureChartValidator, validateChart, type ValidatedManifest } from '@qsmo/dev-tools/chart-validator';
import { CHART_DIR } from '@qsmo/dev-tools/helm';

/**
 * The Helm chart, rendered by Helm's engine and decoded strictly against the
 * Kubernetes API types (deploy/validate/), offline: what `helm install`
 * would send, checked as the API server would check its fields.
 */
jest.setTimeout(15 * 60_000);

const CHART = path.join(REPO_ROOT, CHART_DIR);
const PLATFORM = {
  secrets: {
    gatewaySigningSecret: 'a'.repeat(64),
    mongodbUri: 'mongodb+srv://graph:pw@cluster0.example.mongodb.net/?retryWrites=true&w=majority',
    jwks: '{"keys":[]}',
  },
  gateway: { auth: { issuer: 'https://login.example.gov', audience: 'qsmo-graph' } },
};
let validator: string;

beforeAll(async () => {
  validator = await ensureChartValidator();
});

type K8sObject = { metadata: { name: string; annotations?: Record<string, string> }; spec: any; stringData?: Record<string, string> };
const obj = (m: ValidatedManifest | undefined): K8sObject => (m as unknown as { object: K8sObject }).object;
const find = (ms: ValidatedManifest[], kind: string, name: string) => ms.find((m) => m.kind === kind && m.name === name);

test('the committed chart and deployment files are what codegen:deploy generates from the list of subgraphs', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'shared/dev-tools/src/deploy-codegen-cli.ts', '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});

test('the whole graph renders and every manifest decodes strictly: gateway, directory and every subgraph with probes, budgets, autoscalers, policies, Secret and publish Jobs', async () => {
  const report = await validateChart(validator, { chart: CHART, values: [PLATFORM] });
  expect(report.manifests.filter((m) => m.error)).toEqual([]);
  expect(report.valid).toBe(true);
  const ms = report.manifests;
  const services = ['gateway', DIRECTORY.name, ...SUBGRAPHS.map((s) => s.name)];
  for (const name of services) {
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']) {
      expect({ kind, name, found: find(ms, kind, `qsmo-${name}`) !== undefined }).toEqual({ kind, name, found: true });
    }
    const pod = obj(find(ms, 'Deployment', `qsmo-${name}`)).spec.template.spec;
    // DRAIN_DELAY_MS 5 s + DRAIN_TIMEOUT_MS 10 s + 5 s to close the database and exit.
    expect(pod.terminationGracePeriodSeconds).toBe(20);
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    // The gateway holds the response cache and serialises every answer: it gets more than the other services.
    expect(container.resources).toEqual(
      name === 'gateway'
        ? { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } }
        : { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    );
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    expect(env.DRAIN_DELAY_MS).toBe('5000');
    expect(env.GATEWAY_SIGNING_SECRET).toEqual({ secretKeyRef: { name: 'qsmo-graph', key: 'gateway-signing-secret' } });
    // The accepted secrets reach the services that verify the gateway's signature, never the gateway, which signs with one secret only.
    expect(env.GATEWAY_SIGNING_SECRETS_ACCEPTED).toEqual(
      name === 'gateway' ? undefined : { secretKeyRef: { name: 'qsmo-graph', key: 'gateway-signing-secrets-accepted', optional: true } },
    );
    expect(obj(find(ms, 'Deployment', `qsmo-${name}`)).spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
  }
  // Only the gateway and the directory (and the metrics scraper's namespace) reach a subgraph.
  for (const s of SUBGRAPHS) {
    const from = obj(find(ms, 'NetworkPolicy', `qsmo-${s.name}`)).spec.ingress[0].from;
    expect(from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'qsmo-graph', 'app.kubernetes.io/component': 'gateway' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'qsmo-graph', 'app.kubernetes.io/component': 'directory' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    const job = obj(find(ms, 'Job', `qsmo-${s.name}-schema-publish`));
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('post-install,post-upgrade');
    expect(job.spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['--url', `http://qsmo-${s.name}.qsmo.svc.cluster.local:${s.port}/graphql`]);
  }
  expect(find(ms, 'Job', `qsmo-${DIRECTORY.name}-schema-publish`)).toBeDefined();
  const gatewayEnv = obj(find(ms, 'Deployment', 'qsmo-gateway')).spec.template.spec.containers[0].env;
  expect(gatewayEnv).toEqual(
    expect.arrayContaining([
      { name: 'SUPERGRAPH_SOURCE', value: 'registry' },
      { name: 'AUTH_JWKS_FILE', value: '/etc/qsmo/jwks/jwks.json' },
    ]),
  );
  const secret = obj(find(ms, 'Secret', 'qsmo-graph'));
  expect(Object.keys(secret.stringData ?? {}).sort()).toEqual([
    'gateway-signing-secret',
    'gateway-signing-secrets-accepted',
    'jwks.json',
    'mongodb-uri',
    'registry-mongodb-uri',
  ]);
  expect(secret.stringData?.['gateway-signing-secrets-accepted']).toBe('');
});

test('rotating the signing secret: each step puts the secrets in the Secret and restarts exactly the Deployments that read them', async () => {
  const OLD = 'a'.repeat(64);
  const NEW = 'b'.repeat(64);
  const services = ['gateway', DIRECTORY.name, ...SUBGRAPHS.map((s) => s.name)];
  const render = async (secrets: { gatewaySigningSecret: string; acceptedSigningSecrets: string[] }) => {
    const report = await validateChart(validator, { chart: CHART, values: [PLATFORM, { secrets }] });
    expect(report.manifests.filter((m) => m.error)).toEqual([]);
    expect(report.valid).toBe(true);
    const stringData = obj(find(report.manifests, 'Secret', 'qsmo-graph')).stringData ?? {};
    const checksums = Object.fromEntries(
      services.map((name) => [name, obj(find(report.manifests, 'Deployment', `qsmo-${name}`)).spec.template.metadata.annotations['checksum/signing-secrets']]),
    );
    return { signing: stringData['gateway-signing-secret'], accepted: stringData['gateway-signing-secrets-accepted'], checksums };
  };
  const changed = (before: Record<string, string>, after: Record<string, string>) => services.filter((name) => before[name] !== after[name]).sort();
  const verifiers = services.filter((name) => name !== 'gateway').sort();

  const start = await render({ gatewaySigningSecret: OLD, acceptedSigningSecrets: [] });
  const step1 = await render({ gatewaySigningSecret: OLD, acceptedSigningSecrets: [NEW] });
  const step2 = await render({ gatewaySigningSecret: NEW, acceptedSigningSecrets: [OLD] });
  // `--set 'secrets.acceptedSigningSecrets={}'` sets a list of one empty string: it means none.
  const step3 = await render({ gatewaySigningSecret: NEW, acceptedSigningSecrets: [''] });
  expect([start, step1, step2, step3].map(({ signing, accepted }) => ({ signing, accepted }))).toEqual([
    { signing: OLD, accepted: '' },
    { signing: OLD, accepted: NEW },
    { signing: NEW, accepted: OLD },
    { signing: NEW, accepted: '' },
  ]);
  for (const step of [start, step1, step2, step3]) for (const name of services) expect(step.checksums[name]).toMatch(/^[0-9a-f]{16}$/);
  // Step 1 and step 3 restart the subgraphs and the directory only; step 2 every service, the gateway included.
  expect(changed(start.checksums, step1.checksums)).toEqual(verifiers);
  expect(changed(step1.checksums, step2.checksums)).toEqual([...services].sort());
  expect(changed(step2.checksums, step3.checksums)).toEqual(verifiers);
  // Two accepted secrets go comma-separated, as GATEWAY_SIGNING_SECRETS_ACCEPTED reads them.
  expect((await render({ gatewaySigningSecret: NEW, acceptedSigningSecrets: [OLD, 'c'.repeat(40)] })).accepted).toBe(`${OLD},${'c'.repeat(40)}`);
});

test("a team's release holds its subgraph and its publish Job only, on the platform's Secret", async () => {
  const report = await validateChart(validator, { chart: CHART, release: 'grants', values: [{ team: 'grants-management', secrets: { create: false } }] });
  expect(report.manifests.filter((m) => m.error)).toEqual([]);
  expect(report.valid).toBe(true);
  expect(report.manifests.map((m) => `${m.kind}/${m.name}`).sort()).toEqual([
    'Deployment/qsmo-grants-management',
    'HorizontalPodAutoscaler/qsmo-grants-management',
    'Job/qsmo-grants-management-schema-publish',
    'NetworkPolicy/qsmo-grants-management',
    'PodDisruptionBudget/qsmo-grants-management',
    'Service/qsmo-grants-management',
  ]);
  // The platform's Secret, which may predate the accepted secrets' key; the release does not hold the secrets, so nothing here restarts on them.
  const pod = obj(find(report.manifests, 'Deployment', 'qsmo-grants-management')).spec.template;
  expect(pod.spec.containers[0].env).toContainEqual({
    name: 'GATEWAY_SIGNING_SECRETS_ACCEPTED',
    valueFrom: { secretKeyRef: { name: 'qsmo-graph', key: 'gateway-signing-secrets-accepted', optional: true } },
  });
  expect(pod.metadata.annotations['checksum/signing-secrets']).toBeUndefined();
});

test('values the graph cannot run with are refused with what to set', async () => {
  const unknownTeam = await validateChart(validator, { chart: CHART, values: [{ team: 'grants' }] });
  expect(unknownTeam.valid).toBe(false);
  expect(unknownTeam.error).toContain(
    `team: "grants" is not a subgraph of this chart; use one of ${SUBGRAPHS.map((s) => s.name)
      .sort()
      .join(', ')}`,
  );
  const noSecret = await validateChart(validator, { chart: CHART, values: [{ ...PLATFORM, secrets: { ...PLATFORM.secrets, gatewaySigningSecret: 'short' } }] });
  expect(noSecret.error).toContain('secrets.gatewaySigningSecret: give 32+ random characters');
  const shortAccepted = 'too-short-to-sign-with';
  const badAccepted = await validateChart(validator, {
    chart: CHART,
    values: [{ ...PLATFORM, secrets: { ...PLATFORM.secrets, acceptedSigningSecrets: ['b'.repeat(64), shortAccepted] } }],
  });
  expect(badAccepted.valid).toBe(false);
  expect(badAccepted.error).toContain('secrets.acceptedSigningSecrets[1]: give 32+ characters');
  expect(badAccepted.error).not.toContain(shortAccepted);
  expect(badAccepted.error).not.toContain('b'.repeat(64));
  const noKeys = await validateChart(validator, { chart: CHART, values: [{ ...PLATFORM, secrets: { ...PLATFORM.secrets, jwks: '' } }] });
  expect(noKeys.error).toContain('set gateway.auth.jwksUrl');
});

test('a manifest with an unknown field and a wrong type fails validation, naming both', async () => {
  const report = await validateChart(validator, { manifests: path.join(REPO_ROOT, 'test', 'fixtures', 'broken-deployment.yaml') });
  expect(report.valid).toBe(false);
  expect(report.manifests).toHaveLength(1);
  expect(report.manifests[0]!.error).toMatch(/unknown field "spec.replica"|unknown field "replica"|cannot unmarshal string into Go struct field ContainerPort/);
  expect(report.manifests[0]!.error).toContain('containerPort');
});
