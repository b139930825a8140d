import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { subgraphNamed, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { readCatalogCliConfig } from '@qsmo/subgraph-kit/catalog-io/cli-config';
import { readProvisionConfig, readSeedConfig, readSyntheticConfig } from '@qsmo/dev-tools/command-config';
import { readOperationsCliConfig, readUsageCliConfig } from '@qsmo/registry/command-config';
import { readComposeConfig } from '../gateway/src/compose-config';
import { configProblems } from './support/config';
import { runTsCommand } from './support/cli';

/**
 * The one-off commands read their environment through a declared schema, as
 * the services do: a misspelt name is warned about with the one it
 * resembles, a bad value stops the command naming the variable, and the
 * warnings go to stderr so that stdout stays the command's output.
 */
const GRANTS = subgraphNamed('grants-management');
/** Nothing listens there: a command that got past its configuration would fail otherwise. */
const NOWHERE = 'mongodb://127.0.0.1:1/';

describe('npm run seed', () => {
  test('reads each database, SEED_RESET or --reset, and the defaults', () => {
    const config = readSeedConfig(SUBGRAPHS, [], { MONGODB_URI: NOWHERE, GRANTS_MANAGEMENT_MONGODB_DATABASE: 'qsmo_grants_copy' });
    expect(config.database).toEqual({ kind: 'external', uri: NOWHERE });
    expect(config.databaseNames).toEqual(SUBGRAPHS.map((s) => (s.name === GRANTS.name ? 'qsmo_grants_copy' : `qsmo_${s.name.replace(/-/g, '_')}`)));
    expect(config.reset).toBe(false);
    expect(readSeedConfig([GRANTS], [], { SEED_RESET: 'yes' }).reset).toBe(true);
    expect(readSeedConfig([GRANTS], ['--reset'], {}).reset).toBe(true);
    expect(config.warnings).toEqual([]);
  });

  test("a misspelt variable is warned about with the one it resembles; a SEED_ name it does not know too; the services' names are not", () => {
    const { warnings } = readSeedConfig([GRANTS], [], { SEED_RESTE: 'true', GRANTS_MANAGMENT_MONGODB_DATABASE: 'x', SEED_FORCE: '1', SEED_ON_START: 'never' });
    expect(warnings).toEqual([
      'GRANTS_MANAGMENT_MONGODB_DATABASE is not a setting of npm run seed and is ignored: did you mean GRANTS_MANAGEMENT_MONGODB_DATABASE?',
      'SEED_FORCE is not a setting of npm run seed and is ignored: see docs/reference/configuration.md for the ones it reads.',
      'SEED_RESTE is not a setting of npm run seed and is ignored: did you mean SEED_RESET?',
    ]);
  });

  test('bad values are refused, every one named', () => {
    expect(configProblems(() => readSeedConfig([GRANTS], ['--reset'], { SEED_RESET: 'maybe', GRANTS_MANAGEMENT_MONGODB_DATABASE: 'qsmo/grants' }))).toEqual([
      'GRANTS_MANAGEMENT_MONGODB_DATABASE="qsmo/grants" is not a valid database name: use letters, digits, _ or -, at most 63 characters.',
      'SEED_RESET="maybe" must be true or false.',
    ]);
  });
});

describe('npm run catalog:export / catalog:import', () => {
  test("reads its own subgraph's database; another subgraph's is left to it", () => {
    const config = readCatalogCliConfig(GRANTS, 'export', { CYBERSECURITY_MONGODB_DATABASE: 'qsmo_cyber_copy' });
    expect(config.databaseName).toBe('qsmo_grants_management');
    expect(config.database.kind).toBe('embedded');
    expect(config.warnings).toEqual([]);
  });

  test('a misspelt variable is warned about, naming the command; a bad database name is refused', () => {
    expect(readCatalogCliConfig(GRANTS, 'import', { MONGODB_UIR: NOWHERE }).warnings).toEqual([
      'MONGODB_UIR is not a setting of npm run catalog:import and is ignored: did you mean MONGODB_URI?',
    ]);
    expect(configProblems(() => readCatalogCliConfig(GRANTS, 'import', { GRANTS_MANAGEMENT_MONGODB_DATABASE: 'qsmo grants' }))).toEqual([
      'GRANTS_MANAGEMENT_MONGODB_DATABASE="qsmo grants" is not a valid database name: use letters, digits, _ or -, at most 63 characters.',
    ]);
  });
});

describe("the registry's commands", () => {
  test('schema:usage reads --days as USAGE_WINDOW_DAYS, and warns about a misspelt registry variable', () => {
    const config = readUsageCliConfig({ REGISTRY_DATABSE: 'qsmo_registry_ci', USAGE_WINDOW_DAYS: '7' }, '14');
    expect(config.windowDays).toBe(14);
    expect(config.registry.databaseName).toBe('qsmo_registry');
    expect(config.logLevel).toBe('warn');
    expect(config.warnings).toEqual(['REGISTRY_DATABSE is not a setting of npm run schema:usage and is ignored: did you mean REGISTRY_DATABASE?']);
  });

  test('schema:usage refuses an invalid REGISTRY_DATABASE, LOG_LEVEL and --days together', () => {
    expect(configProblems(() => readUsageCliConfig({ REGISTRY_DATABASE: 'qsmo.registry', LOG_LEVEL: 'verbose' }, '0'))).toEqual([
      'REGISTRY_DATABASE="qsmo.registry" is not a valid database name: use letters, digits, _ or -, at most 63 characters.',
      'USAGE_WINDOW_DAYS="0" must be a positive whole number.',
      'LOG_LEVEL="verbose" is not one of: debug, info, warn, error, silent.',
    ]);
  });

  test('operations:publish reads SCHEMA_PUBLISHER, warns about a misspelling of it and refuses a bad registry URI', () => {
    expect(readOperationsCliConfig('publish', { SCHEMA_PUBLISHER: ' portal-ci ' }).publisher).toBe('portal-ci');
    expect(readOperationsCliConfig('publish', { SCHEMA_PUBLISHR: 'portal-ci' }).warnings).toEqual([
      'SCHEMA_PUBLISHR is not a setting of npm run operations:publish and is ignored: did you mean SCHEMA_PUBLISHER?',
    ]);
    expect(configProblems(() => readOperationsCliConfig('schema', { REGISTRY_MONGODB_URI: 'localhost:27017' }))).toEqual([
      'REGISTRY_MONGODB_URI must be a MongoDB connection string starting with mongodb:// or mongodb+srv://.',
    ]);
  });
});

describe('npm run seed:synthetic, db:provision and compose', () => {
  test('seed:synthetic refuses a bad EMBEDDED_DB_PORT and warns about a misspelt MONGODB_URI', () => {
    expect(readSyntheticConfig({ MONGODB_URL: NOWHERE }).warnings).toEqual([
      'MONGODB_URL is not a setting of npm run seed:synthetic and is ignored: did you mean MONGODB_URI?',
    ]);
    expect(configProblems(() => readSyntheticConfig({ EMBEDDED_DB_PORT: '99999' }))).toEqual([
      'EMBEDDED_DB_PORT="99999" is not a TCP port: use a whole number from 0 to 65535 (0 picks a free port).',
    ]);
  });

  test('db:provision reads TOOLS_DIR and warns about TOOL_DIR', () => {
    expect(readProvisionConfig({ TOOLS_DIR: 'build/tools' }).toolsDir).toBe(path.resolve('build/tools'));
    expect(readProvisionConfig({}).toolsDir).toBe(path.join(REPO_ROOT, '.tools'));
    expect(readProvisionConfig({ TOOL_DIR: '/opt/tools' }).warnings).toEqual([
      'TOOL_DIR is not a setting of npm run db:provision and is ignored: did you mean TOOLS_DIR?',
    ]);
  });

  test("compose reads each subgraph's URL and warns about a misspelt one", () => {
    const config = readComposeConfig({ GRANTS_MANAGEMENT_URL: 'https://grants.example.gov/graphql', CYBERSECURTY_URL: 'https://cyber.example.gov/graphql' });
    expect(config.endpoints.find((e) => e.name === GRANTS.name)?.url).toBe('https://grants.example.gov/graphql');
    expect(config.endpoints.find((e) => e.name === 'cybersecurity')?.url).toBe('http://localhost:4004/graphql');
    expect(config.warnings).toEqual(['CYBERSECURTY_URL is not a setting of npm run compose and is ignored: did you mean CYBERSECURITY_URL?']);
  });
});

describe('the commands as processes', () => {
  test('npm run seed with SEED_RESET=maybe stops with exit 1 naming it, before reaching any database', async () => {
    const result = await runTsCommand('shared/dev-tools/src/seed-cli.ts', ['grants-management'], { MONGODB_URI: NOWHERE, SEED_RESET: 'maybe' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('SEED_RESET="maybe" must be true or false.');
    expect(result.stderr).not.toMatch(/ECONNREFUSED|connect/i);
    expect(result.stdout).toBe('');
  });

  test('npm run schema:usage with an invalid REGISTRY_DATABASE stops with exit 2 naming it, and its usage', async () => {
    const result = await runTsCommand('shared/registry/src/usage-cli.ts', ['GrantsManagementOffering.name'], {
      REGISTRY_MONGODB_URI: NOWHERE,
      REGISTRY_DATABASE: 'qsmo registry',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('REGISTRY_DATABASE="qsmo registry" is not a valid database name');
    expect(result.stderr).toContain('Usage: npm run schema:usage');
    expect(result.stdout).toBe('');
  });

  test('npm run compose warns about a misspelt URL on stderr; stdout says only where the supergraph went', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-compose-'));
    try {
      const out = path.join(dir, 'supergraph.graphql');
      const result = await runTsCommand('gateway/src/compose-cli.ts', [out], { GRANTS_MANAGMENT_URL: 'https://grants.example.gov/graphql' });
      expect(result.status).toBe(0);
      expect(result.stderr).toContain('warning: GRANTS_MANAGMENT_URL is not a setting of npm run compose and is ignored: did you mean GRANTS_MANAGEMENT_URL?');
      expect(result.stdout).toBe(`supergraph written to ${out}\n`);
      // The misspelt URL was ignored: the default routing URL is recorded.
      expect(fs.readFileSync(out, 'utf8')).toContain('url: "http://localhost:4003/graphql"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
