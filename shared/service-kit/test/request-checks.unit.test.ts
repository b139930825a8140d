import { checkGraphQLRequest, documentHash, jsonNesting, MAX_JSON_NESTING, persistedQueryRefusal } from '@qsmo/service-kit/http/request-checks';

/**
 * The checks every service makes before Apollo reads a request: JSON nesting
 * counted on the text (no recursion, strings skipped), and the
 * persisted-query extension's version and hash.
 */
test('counts the nesting of arrays and objects in JSON text, skipping brackets inside strings and escaped quotes', () => {
  expect(jsonNesting('{"query":"{ a }","variables":{"f":{"in":[1,2]}}}')).toBe(4);
  expect(jsonNesting('{"s":"[[[[{{{{","t":"\\"[[[["}')).toBe(1);
  expect(jsonNesting('"no brackets"')).toBe(0);
  // Malformed text gives what was read; JSON.parse reports it.
  expect(jsonNesting('{"a":[')).toBe(2);
});

// How fast the scan is belongs to the benchmark; here, that it stops early and reads a body of the size limit right.
test('a 500,000-deep text stops just past the limit; a flat 1 MB body (the body limit) is counted right', () => {
  const deep = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
  expect(jsonNesting(deep)).toBe(MAX_JSON_NESTING + 1);
  const flat = JSON.stringify({ query: '{ a }', variables: { s: 'x'.repeat(500_000), list: Array.from({ length: 100_000 }, (_, i) => i) } });
  expect(flat.length).toBeGreaterThan(1_000_000);
  expect(jsonNesting(flat)).toBe(3);
});

test('a body nested past the limit is refused; one at the limit is not', () => {
  const nested = (n: number) => `{"variables":{"x":${'['.repeat(n - 2)}${']'.repeat(n - 2)}}}`;
  expect(jsonNesting(nested(MAX_JSON_NESTING))).toBe(MAX_JSON_NESTING);
  const get = (n: number) => checkGraphQLRequest('GET', undefined, new URLSearchParams({ query: '{ a }', variables: nested(n) })).refusal;
  expect(get(MAX_JSON_NESTING)).toBeUndefined();
  expect(get(MAX_JSON_NESTING + 1)).toEqual({
    status: 400,
    code: 'JSON_TOO_DEEP',
    message: expect.stringContaining(`The JSON of variables nests more than ${MAX_JSON_NESTING} levels deep`),
  });
});

test('persisted queries: version 1 with the hash of the query sent, or a hash alone, pass; another version or hash is refused with its code', () => {
  const query = '{ __typename }';
  const pq = (persistedQuery: unknown, q?: string) => persistedQueryRefusal({ query: q, extensions: { persistedQuery } });
  expect(pq({ version: 1, sha256Hash: documentHash(query) }, query)).toBeUndefined();
  expect(pq({ version: 1, sha256Hash: documentHash('{ other }') })).toBeUndefined();
  expect(persistedQueryRefusal({ query })).toBeUndefined();
  expect(pq({ version: 1, sha256Hash: documentHash('{ other }') }, query)?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  expect(pq({ version: 1 }, query)?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  expect(pq({ version: 2, sha256Hash: documentHash(query) }, query)).toEqual({
    status: 400,
    code: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED',
    message: expect.stringMatching(/^Persisted query version 2 is not supported/),
  });
  expect(pq('v1')?.message).toMatch(/^extensions\.persistedQuery is "v1", not an object: send extensions\.persistedQuery as \{"version": 1/);
  expect(pq({ sha256Hash: documentHash(query) })).toMatchObject({
    code: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED',
    message: expect.stringMatching(/^extensions\.persistedQuery has no version: /),
  });
});

test("a GET is read from its parameters; a document nested past the parser's limit keeps its GRAPHQL_PARSE_FAILED refusal", () => {
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'abc' } });
  expect(checkGraphQLRequest('GET', undefined, new URLSearchParams({ extensions }))).toEqual({
    params: { query: undefined, extensions: JSON.parse(extensions) },
  });
  expect(checkGraphQLRequest('GET', undefined, new URLSearchParams({ query: '{ a }', extensions })).refusal?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  const deepDocument = `{ ${'a { '.repeat(100)}b${' }'.repeat(100)} }`;
  expect(checkGraphQLRequest('POST', { query: deepDocument }, new URLSearchParams()).refusal?.code).toBe('GRAPHQL_PARSE_FAILED');
  // A batch is Apollo's to refuse.
  expect(checkGraphQLRequest('POST', [{ query: '{ a }' }], new URLSearchParams())).toEqual({
    params: { query: undefined, extensions: undefined },
    refusal: undefined,
  });
});
