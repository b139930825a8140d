import { serializeOnce, stringifyResult } from '../src/serialized-results';

/** A body built around a remembered serialization is byte for byte what Apollo's default would write. */
describe('stringifyResult', () => {
  const data = { offerings: { edges: [{ node: { id: 'grm-era', name: 'eRA "quoted" \u2028', partners: [], launchedOn: null } }] } };
  const results = [
    { data },
    {
      errors: [{ message: 'partial', path: ['offerings'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }],
      data,
      extensions: { cost: { estimated: 12, budget: 5000 } },
    },
    { data, extensions: undefined },
  ];

  test("an answer never remembered is serialized as JSON.stringify does, with Apollo's newline", () => {
    const other = { data: { a: 1 }, errors: undefined };
    expect(stringifyResult(other)).toBe(`${JSON.stringify(other)}\n`);
    expect(stringifyResult({ data: null })).toBe('{"data":null}\n');
  });

  test('a remembered data object gives the same bytes, whatever surrounds it', () => {
    serializeOnce(data);
    for (const r of results) expect(stringifyResult(r)).toBe(`${JSON.stringify(r)}\n`);
  });

  test('the text is taken at serializeOnce: the same object is serialized only once', () => {
    const shared = { n: 1 };
    serializeOnce(shared);
    // Frozen in production (inbound dedup freezes what it shares); changed here to show the text was kept, not redone.
    shared.n = 2;
    serializeOnce(shared);
    expect(stringifyResult({ data: shared })).toBe('{"data":{"n":1}}\n');
  });
});
