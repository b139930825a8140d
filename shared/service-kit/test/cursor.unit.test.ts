import { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor } from '@qsmo/service-kit/pagination';

/** A cursor is decoded to exactly a scalar sort value and a string id, or refused: nothing else reaches a MongoDB filter. */
const forge = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

test('cursors this list hands out decode to what was encoded', () => {
  expect(decodeCursor(encodeCursor('department of energy', '019'))).toEqual({ v: 'department of energy', id: '019' });
  expect(decodeCursor(encodeCursor(7, 'x'))).toEqual({ v: 7, id: 'x' });
  expect(decodeCursor(encodeCursor(undefined, 'x'))).toEqual({ v: null, id: 'x' });
});

test.each([
  ['an operator object as the sort value', { v: { $regex: '.*' }, id: 'a' }],
  ['$in as the sort value', { v: { $in: ['a', 'b'] }, id: 'a' }],
  ['$where as the id', { v: 'a', id: { $where: 'sleep(1000)' } }],
  ['an array', { v: ['a'], id: 'a' }],
  ['a boolean', { v: true, id: 'a' }],
  ['a non-string id', { v: 'a', id: 5 }],
  ['an extra key', { v: 'a', id: 'a', $or: [{}] }],
  ['a missing id', { v: 'a' }],
  ['no object at all', 'v'],
  ['null', null],
])('%s is BAD_USER_INPUT', (_what, payload) => {
  let error: unknown;
  try {
    decodeCursor(forge(payload));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(GraphQLError);
  expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
  expect((error as GraphQLError).message).toMatch(/after is not a cursor from this list: pass pageInfo.endCursor/);
});

test('text that is not base64 JSON, and an overlong cursor, are refused the same way', () => {
  expect(() => decodeCursor('%%%')).toThrow(/after is not a cursor/);
  expect(() => decodeCursor(encodeCursor('a'.repeat(2_000), 'x'))).toThrow(/after is not a cursor/);
});
