import { EnvReader } from '@qsmo/service-kit/config';
import { DEFAULT_READ_MODEL, readReadModelConfig } from '@qsmo/subgraph-kit/read-model';
import { DEFAULT_RESPONSE_CACHE } from '../src/plugins/response-cache';
import { readResponseCacheConfig } from '../src/config';

/** The caching settings are read once, with defaults, and a bad value names the variable and what to write. */
test('defaults: both on, with their documented bounds', () => {
  const env = new EnvReader({});
  expect(readResponseCacheConfig(env)).toEqual(DEFAULT_RESPONSE_CACHE);
  expect(readReadModelConfig(env)).toEqual(DEFAULT_READ_MODEL);
  env.done();
});

test('off is off; bad values are refused, every one listed', () => {
  const off = new EnvReader({ RESPONSE_CACHE: 'off', READ_MODEL: 'off' });
  expect(readResponseCacheConfig(off).enabled).toBe(false);
  expect(readReadModelConfig(off)).toBeUndefined();
  const bad = new EnvReader({ RESPONSE_CACHE: 'yes', RESPONSE_CACHE_MAX_AGE_S: '-1', READ_MODEL_MAX_ENTRIES: 'many' });
  readResponseCacheConfig(bad);
  readReadModelConfig(bad);
  expect(() => bad.done()).toThrow(/RESPONSE_CACHE[\s\S]*RESPONSE_CACHE_MAX_AGE_S[\s\S]*READ_MODEL_MAX_ENTRIES/);
});
