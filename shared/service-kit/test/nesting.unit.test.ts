import { parse } from 'graphql';
import { documentNesting, MAX_DOCUMENT_NESTING, nestingRefusal } from '@qsmo/service-kit/limits';

/**
 * The pre-parse nesting check: graphql's parser recurses per level and
 * overflows the stack a few thousand levels down; the lexer-based count
 * refuses such documents first, and never refuses an ordinary one.
 */
test('counts the deepest nesting of braces, parentheses and brackets, ignoring strings and comments', () => {
  expect(documentNesting('{ a { b { c } } }')).toBe(3);
  expect(documentNesting('{ a(filter: { in: [[1]] }) { b } }')).toBe(5);
  expect(documentNesting('{ a(s: "{{{{{{{{") # ((((((((\n }')).toBe(2);
  expect(documentNesting('{ a(s: """ [[[[[[ """) }')).toBe(2);
});

test('a 20,000-deep document is refused quickly, without touching the parser', () => {
  const deep = `{ ${'a { '.repeat(20_000)}b${' }'.repeat(20_000)} }`;
  expect(() => parse(deep)).toThrow(/call stack/);
  const started = process.hrtime.bigint();
  const refusal = nestingRefusal(deep);
  expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  expect(refusal).toEqual({ message: expect.stringContaining(`more than ${MAX_DOCUMENT_NESTING} levels deep`), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
});

test('ordinary and unlexable documents pass to the parser, which reports them itself', () => {
  expect(nestingRefusal('query Q($code: ID!) { agency(code: $code) { name grantsManagement { offerings { id } } } }')).toBeUndefined();
  expect(nestingRefusal('{ a ^ }')).toBeUndefined();
});
