import fs from 'node:fs';
import path from 'node:path';
import { EnvReader, REPO_ROOT } from '@qsmo/service-kit/config';
import { readSubgraphConfig } from '@qsmo/subgraph-kit/subgraph/run';
import { editDistance, env, unknownVariableWarnings } from '@qsmo/service-kit/config-schema';
import { DIRECTORY_VARIABLES } from '@qsmo/directory/config-schema';
import { readDirectoryConfig } from '@qsmo/directory';
import { subgraphVariables } from '@qsmo/subgraph-kit/subgraph/config-schema';
import { STACK_PREFIXES, STACK_VARIABLES } from '@qsmo/dev-tools/stack-config-schema';
import { registryCliVariables } from '@qsmo/registry/cli-config-schema';
import { readGatewayConfig } from '../gateway/src/config';
import { GATEWAY_VARIABLES } from '../gateway/src/config-schema';
import { CONFIGURATION_REFERENCE, configurationReference } from '@qsmo/dev-tools/config-reference';
import { configProblems } from './support/config';

/**
 * The services' declared configuration: read through the schemas only, a
 * bad value listed with every other, an ignored name warned about, and the
 * reference written from the same schemas.
 */
const MARKETPLACE = { defaultPort: 4003, defaultDatabase: 'qsmo_grants_management' };
const URI = 'mongodb://127.0.0.1:27017/';

describe('the gateway', () => {
  test('reads its defaults from an empty environment', () => {
    const config = readGatewayConfig({});
    expect(config.port).toBe(4000);
    expect(config.resilience.requestDeadlineMs).toBe(4_500);
    expect(config.responseCache.maxBytes).toBe(64 * 2 ** 20);
    expect(config.warnings).toEqual([]);
  });

  test('a misspelt variable is warned about by name, with the one it resembles', () => {
    const config = readGatewayConfig({ CORS_ORIGIN: 'https://grants.example.gov' });
    expect(config.security.cors.origins).toEqual([]);
    expect(config.warnings).toEqual(['CORS_ORIGIN is not a setting of the gateway and is ignored: did you mean CORS_ORIGINS?']);
  });

  test("an unknown variable with a gateway prefix is warned about; other services' and unrelated ones are not", () => {
    const config = readGatewayConfig({ RESPONSE_CACHE_TTL: '60', READ_MODEL: 'off', DIRECTORY_POLL_MS: '100', HOME: '/root', PATH: '/bin' });
    expect(config.warnings).toEqual([
      'RESPONSE_CACHE_TTL is not a setting of the gateway and is ignored: see docs/reference/configuration.md for the ones it reads.',
    ]);
  });

  test('bad values stop start-up with every problem listed at once, MAX_COST among them', () => {
    const problems = configProblems(() => readGatewayConfig({ PORT: 'eighty', MAX_DEPTH: '0', RESPONSE_CACHE: 'yes', MAX_COST: '1000' }));
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT="eighty" is not a TCP port: use a whole number from 0 to 65535 (0 picks a free port).',
        'MAX_DEPTH="0" must be a positive whole number.',
        'RESPONSE_CACHE="yes" is not one of: on, off.',
      ]),
    );
    expect(problems.some((p) => p.startsWith('MAX_COST is no longer read'))).toBe(true);
    expect(problems).toHaveLength(4);
  });

  test('every declared variable is read by one supergraph source or another (the OTel ones by the telemetry check and the SDK)', () => {
    const unread = ['registry', 'compose'].map((source) => {
      const reader = new EnvReader({ SUPERGRAPH_SOURCE: source }, GATEWAY_VARIABLES);
      readGatewayConfig({ SUPERGRAPH_SOURCE: source }, reader);
      return reader.unread();
    });
    expect(unread[0]!.filter((name) => unread[1]!.includes(name) && !name.startsWith('OTEL_'))).toEqual([]);
  });
});

describe('a marketplace subgraph', () => {
  test('the read model is on by default with the embedded database', () => {
    expect(readSubgraphConfig(MARKETPLACE, {}).readModel).toEqual({ pollIntervalMs: 1_000, maxEntries: 2_000, maxAgeMs: 60_000 });
  });

  test('with MONGODB_URI the read model is off unless READ_MODEL=on', () => {
    expect(readSubgraphConfig(MARKETPLACE, { MONGODB_URI: URI }).readModel).toBeUndefined();
    expect(readSubgraphConfig(MARKETPLACE, { MONGODB_URI: URI, READ_MODEL: 'on', READ_MODEL_POLL_MS: '250' }).readModel).toEqual({
      pollIntervalMs: 250,
      maxEntries: 2_000,
      maxAgeMs: 60_000,
    });
    expect(readSubgraphConfig(MARKETPLACE, { READ_MODEL: 'off' }).readModel).toBeUndefined();
  });

  test('its own defaults, a misspelling warned about, and a bad MONGODB_URI told once', () => {
    const config = readSubgraphConfig(MARKETPLACE, { READ_MODE: 'off' });
    expect(config.port).toBe(4003);
    expect(config.databaseName).toBe('qsmo_grants_management');
    expect(config.warnings).toEqual(['READ_MODE is not a setting of a marketplace subgraph and is ignored: did you mean READ_MODEL?']);
    expect(configProblems(() => readSubgraphConfig(MARKETPLACE, { MONGODB_URI: 'localhost:27017' }))).toEqual([
      'MONGODB_URI must be a MongoDB connection string starting with mongodb:// or mongodb+srv://.',
    ]);
  });

  test('every declared variable is read', () => {
    const reader = new EnvReader({}, subgraphVariables(MARKETPLACE));
    readSubgraphConfig(MARKETPLACE, {}, reader);
    expect(reader.unread().filter((name) => !name.startsWith('OTEL_'))).toEqual([]);
  });
});

describe('the directory', () => {
  test('reads its settings and warns about an unknown DIRECTORY_ variable', () => {
    const config = readDirectoryConfig({ DIRECTORY_POLL_MS: '100', DIRECTORY_REFRESH_MS: '5' });
    expect(config.pollMs).toBe(100);
    expect(config.warnings).toEqual([
      'DIRECTORY_REFRESH_MS is not a setting of the directory and is ignored: see docs/reference/configuration.md for the ones it reads.',
    ]);
  });

  test('every declared variable is read', () => {
    const reader = new EnvReader({}, DIRECTORY_VARIABLES);
    readDirectoryConfig({}, reader);
    expect(reader.unread().filter((name) => !name.startsWith('OTEL_'))).toEqual([]);
  });
});

describe('the schema-backed reader', () => {
  const schema = { RETRIES: env.nonNegativeInt('Retries.', { default: 2 }), MODE: env.oneOf('Mode.', ['a', 'b'] as const, { shown: 'a, b in production' }) };

  test('a variable read but not declared is a programming error naming it', () => {
    expect(() => new EnvReader({}, schema).positiveInt('RETRYS', 2)).toThrow("RETRYS is read but not declared in the service's configuration schema");
  });

  test('a variable read as another kind than declared is a programming error', () => {
    expect(() => new EnvReader({}, schema).boolean('RETRIES', false)).toThrow('RETRIES is read as boolean but declared as nonNegativeInt: keep one.');
  });

  test("a reader's default that differs from the declared one is a programming error", () => {
    expect(() => new EnvReader({}, schema).nonNegativeInt('RETRIES', 3)).toThrow('RETRIES is read with the default 3 but declared with 2: keep one.');
  });

  test('a default the schema leaves to the reader (it depends on other variables) comes from the reader', () => {
    expect(new EnvReader({}, schema).oneOf('MODE', ['a', 'b'], 'b')).toBe('b');
    expect(new EnvReader({ MODE: ' a ' }, schema).oneOf('MODE', ['a', 'b'], 'b')).toBe('a');
  });

  test('close misspellings: a swap, a missing or extra letter; not unrelated names', () => {
    expect(editDistance('CORS_ORIGIN', 'CORS_ORIGINS')).toBe(1);
    expect(editDistance('RETIRES', 'RETRIES')).toBe(1);
    expect(unknownVariableWarnings(schema, { RETIRES: '1', MOD: 'a', HOSTNAME: 'x' }, { service: 'the test', prefixes: [] })).toEqual([
      'MOD is not a setting of the test and is ignored: did you mean MODE?',
      'RETIRES is not a setting of the test and is ignored: did you mean RETRIES?',
    ]);
  });
});

test(`${CONFIGURATION_REFERENCE} is current (npm run codegen)`, () => {
  const committed = fs.readFileSync(path.join(REPO_ROOT, CONFIGURATION_REFERENCE), 'utf8');
  expect(committed).toBe(configurationReference());
});

test('gateway plugins read no environment: they get their settings as typed options', () => {
  const dir = path.join(REPO_ROOT, 'gateway', 'src', 'plugins');
  const readers = fs.readdirSync(dir).filter((file) => /process\.env|EnvReader/.test(fs.readFileSync(path.join(dir, file), 'utf8')));
  expect(readers).toEqual([]);
});

describe('the local stack and the registry commands', () => {
  test("npm start warns about a misspelt STACK_ variable and leaves the services' variables to them", () => {
    const warnings = unknownVariableWarnings(
      STACK_VARIABLES,
      { STACK_KEEP_DWON: 'directory', CORS_ORIGINS: 'https://a.example.gov' },
      {
        service: 'npm start',
        prefixes: STACK_PREFIXES,
        knownElsewhere: ['CORS_ORIGINS'],
      },
    );
    expect(warnings).toEqual(['STACK_KEEP_DWON is not a setting of npm start and is ignored: did you mean STACK_KEEP_DOWN?']);
  });

  test("the registry commands read their variables through their schema, with the subgraph's port", () => {
    const reader = new EnvReader({ PORT: '4100', SCHEMA_PUBLISHER: ' ci ' }, registryCliVariables({ defaultPort: 4003 }));
    expect(reader.port('PORT', 4003)).toBe(4100);
    expect(reader.string('SCHEMA_PUBLISHER')).toBe('ci');
    expect(reader.logLevel('LOG_LEVEL', 'warn')).toBe('warn');
  });
});
