import { EnvReader } from '@qsmo/service-kit/config';
import { clientKey, defaultMaxConnections, readConnectionLimits } from '@qsmo/service-kit/http/connections';

/** The settings and keys of connection admission (the caps themselves are attacked over loopback in test/connection-admission.e2e.test.ts). */
test('clients are keyed by IPv4 address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
  expect(clientKey('127.0.0.2')).toBe('127.0.0.2');
  expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
  expect(clientKey('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
  expect(clientKey('2001:db8:aa:bb::ffff')).toBe(clientKey('2001:db8:aa:bb:9:9:9:9'));
  expect(clientKey('2001:db8:aa:bc::1')).not.toBe(clientKey('2001:db8:aa:bb::1'));
  expect(clientKey(undefined)).toBe('');
});

test('the default global cap leaves a reserve below the descriptor limit', () => {
  expect(defaultMaxConnections(1_024)).toBe(512);
  expect(defaultMaxConnections(2_048)).toBe(1_536);
  expect(defaultMaxConnections(20_000)).toBe(18_000);
  expect(defaultMaxConnections(256)).toBe(128);
  expect(defaultMaxConnections(undefined)).toBe(4_096);
});

test('caps that could not hold stop start-up with what to change', () => {
  const read = (env: Record<string, string>) => {
    const reader = new EnvReader(env);
    const limits = readConnectionLimits(reader, { perClient: 256 }, 2_048);
    return { limits, done: () => reader.done() };
  };
  expect(read({}).limits).toEqual({ max: 1_536, perClient: 256 });
  expect(read({ MAX_CONNECTIONS: '0', MAX_CONNECTIONS_PER_CLIENT: '0' }).limits).toEqual({ max: 0, perClient: 0 });
  expect(() => read({ MAX_CONNECTIONS: '4000' }).done()).toThrow(
    /MAX_CONNECTIONS=4000 is not below this process's file-descriptor limit \(ulimit -n: 2048\).*lower it to 1536/,
  );
  expect(() => read({ MAX_CONNECTIONS: '100' }).done()).toThrow(/MAX_CONNECTIONS_PER_CLIENT=256 is above MAX_CONNECTIONS=100/);
  expect(() => read({ MAX_CONNECTIONS_PER_CLIENT: 'many' }).done()).toThrow(/MAX_CONNECTIONS_PER_CLIENT="many" must be a whole number of 0 or more/);
});
