import { EnvReader } from '@qsmo/service-kit/config';
import { DEFAULT_SUBSCRIPTIONS, readSubscriptionConfig } from '../src/subscriptions/config';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  const config = readSubscriptionConfig(reader);
  reader.done();
  return config;
};

test('defaults when nothing is set, and each variable read', () => {
  expect(read({})).toEqual(DEFAULT_SUBSCRIPTIONS);
  expect(
    read({
      SUBSCRIPTIONS_ENABLED: 'false',
      SUBSCRIPTIONS_MAX_PER_CLIENT: '5',
      SUBSCRIPTIONS_MAX: '50',
      SUBSCRIPTIONS_FEED_WAIT_MS: '5000',
      SUBSCRIPTIONS_KEEP_ALIVE_MS: '1000',
    }),
  ).toEqual({ enabled: false, maxPerClient: 5, max: 50, feedWaitMs: 5_000, keepAliveMs: 1_000 });
});

test('inconsistent limits and a wait longer than a subgraph holds a read are refused, naming the variables', () => {
  expect(() => read({ SUBSCRIPTIONS_MAX_PER_CLIENT: '100', SUBSCRIPTIONS_MAX: '10' })).toThrow(
    /SUBSCRIPTIONS_MAX_PER_CLIENT=100 is more than SUBSCRIPTIONS_MAX=10/,
  );
  expect(() => read({ SUBSCRIPTIONS_FEED_WAIT_MS: '60000' })).toThrow(/SUBSCRIPTIONS_FEED_WAIT_MS=60000 is longer than a subgraph waits \(30000 ms\)/);
  expect(() => read({ SUBSCRIPTIONS_MAX: '0' })).toThrow(/SUBSCRIPTIONS_MAX/);
});
