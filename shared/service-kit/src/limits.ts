import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { EnvReader } from './config';
import { seeErrorDoc } from './error-guide';

/**
 * Operation limits: what one GraphQL document may ask for, checked before it
 * is planned or executed, so a small hostile document cannot cost a service
 * seconds of CPU or its memory. The gateway and every subgraph apply the same
 * rules (a direct or forwarded query meets them too); a subgraph allows some
 * headroom over the gateway's values, because the gateway's fetches wrap a
 * client's selections in `_entities` and add key fields.
 */
export interface OperationLimits {
  /** Nesting of selections (fragments do not add levels). MAX_DEPTH. */
  maxDepth: number;
  /** Aliased fields in one operation (`__typename` aliases are free). MAX_ALIASES. */
  maxAliases: number;
  /** Lexical tokens of the whole document; checked while parsing, so a huge document stops early. MAX_TOKENS. */
  maxTokens: number;
  /** Directives in one operation. MAX_DIRECTIVES. */
  maxDirectives: number;
  /**
   * How often one field (Type.field) may appear on one path, e.g.
   * `parent { children { parent ... } }` or provider ↔ offerings: recursive
   * fields fan out geometrically, so their nesting is bounded on its own. MAX_RECURSION.
   */
  maxRecursion: number;
}

/** Defaults every operation of gateway/operations passes with room to spare (a test checks it). */
export const DEFAULT_OPERATION_LIMITS: Readonly<OperationLimits> = {
  maxDepth: 10,
  maxAliases: 30,
  maxTokens: 2_000,
  maxDirectives: 30,
  maxRecursion: 2,
};

/** The environment variable of each limit, named in every refusal so an operator knows what to raise. */
export const LIMIT_VARIABLES: Readonly<Record<keyof OperationLimits, string>> = {
  maxDepth: 'MAX_DEPTH',
  maxAliases: 'MAX_ALIASES',
  maxTokens: 'MAX_TOKENS',
  maxDirectives: 'MAX_DIRECTIVES',
  maxRecursion: 'MAX_RECURSION',
};

/** Reads MAX_DEPTH, MAX_ALIASES, MAX_TOKENS, MAX_DIRECTIVES and MAX_RECURSION (positive whole numbers). The cost of an operation is demand control's (demand-control.ts). */
export function readOperationLimits(env: EnvReader): OperationLimits {
  const limits = {} as OperationLimits;
  for (const key of Object.keys(LIMIT_VARIABLES) as (keyof OperationLimits)[]) {
    limits[key] = env.positiveInt(LIMIT_VARIABLES[key], DEFAULT_OPERATION_LIMITS[key]);
  }
  return limits;
}

/**
 * A subgraph's limits from the gateway's: the gateway's fetch for a client
 * operation nests it one or two levels deeper (`_entities`, a key field),
 * and may add `__typename`, keys and aliases, so a subgraph accepts
 * everything the gateway accepted while still refusing a hostile document
 * sent to it directly.
 */
export function subgraphLimits(gateway: OperationLimits): OperationLimits {
  return {
    maxDepth: gateway.maxDepth + 2,
    maxAliases: gateway.maxAliases * 2,
    maxTokens: gateway.maxTokens * 4,
    maxDirectives: gateway.maxDirectives * 2,
    maxRecursion: gateway.maxRecursion,
  };
}

/** Past this many field visits (fragments expanded) the recursion check gives up and refuses: a fragment bomb. */
export const MAX_EXPANDED_FIELDS = 20_000;

function refusal(message: string): GraphQLError {
  // GraphQL's own validation code: Apollo answers it with HTTP 400.
  return new GraphQLError(`${message}${seeErrorDoc('GRAPHQL_VALIDATION_FAILED')}`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
}

/** graphql-armor's limit messages, without their misleading "Syntax Error:" prefix and with the variable to change. */
function reporter(variable: string, advice: string) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, '').replace(/\.$/, '');
    context?.reportError(refusal(`${message} (${variable}): ${advice}`));
  };
}

/**
 * The validation rules of the limits: graphql-armor's depth, alias and
 * directive rules (with messages naming the limit, the measured value and
 * the setting), plus the recursion bound. Tokens are limited by the parser
 * instead (tokenLimitParseOptions); cost, which depends on the variables, by
 * demand control once the operation is resolved (demand-control.ts).
 */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  const armor = new ApolloArmor({
    // Suggestions are hidden by Apollo Server's hideSchemaDetailsFromClientErrors; tokens by graphql's parser.
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reporter(LIMIT_VARIABLES.maxDepth, 'select fewer nested levels, or split the query in two.')],
    },
    maxAliases: {
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [reporter(LIMIT_VARIABLES.maxAliases, 'use fewer aliases; page through a list with first/after instead of aliasing it.')],
    },
    maxDirectives: {
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: [reporter(LIMIT_VARIABLES.maxDirectives, 'use fewer directives.')],
    },
    // graphql-armor's cost heuristic multiplies only by a literal `first`, so `first: $n` escaped it: demand control replaces it.
    costLimit: { enabled: false },
  });
  return [...armor.protect().validationRules, maxRecursionRule(limits.maxRecursion)];
}

/** Options for graphql's parser: it stops lexing at the token limit, before any AST of a huge document exists. */
export function tokenLimitParseOptions(limits: Pick<OperationLimits, 'maxTokens'>): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

// graphql 16 spells it "more that"; both spellings are matched so an upgrade keeps the message.
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

/** Tokens of a document, counted by graphql's lexer alone (linear, no AST); 0 if it does not lex. */
export function countTokens(source: string): number {
  try {
    const lexer = new Lexer(new Source(source));
    let count = 0;
    while (lexer.advance().kind !== TokenKind.EOF) count++;
    return count;
  } catch {
    return 0;
  }
}

/**
 * Rewrites graphql's token-limit parse error to name the measured count and
 * the setting. Counting runs only for refused documents and only lexes
 * (bounded by the HTTP body limit), so it stays far below planning's cost.
 */
export function tokenLimitMessagePlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, source }) {
          for (const error of errors) {
            const m = TOKEN_LIMIT_MESSAGE.exec(error.message);
            if (!m) continue;
            const found = source === undefined ? 0 : countTokens(source);
            (error as { message: string }).message =
              `Token limit of ${m[1]} exceeded${found ? `, found ${found}` : ''} (${LIMIT_VARIABLES.maxTokens}): send a smaller document.${seeErrorDoc('GRAPHQL_PARSE_FAILED')}`;
          }
        },
      };
    },
  };
}

/**
 * Refuses an operation in which one field (by parent type and name) occurs
 * more than `max` times on one path, fragments expanded. Any unbounded
 * nesting in a finite schema repeats some field, so this bounds every
 * recursive path (`parent`/`children`, provider ↔ offerings, agency ↔
 * customer listings) whatever its shape, and its fan-out with it.
 */
export function maxRecursionRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    let visits = 0;
    const walk = (set: SelectionSetNode, type: GraphQLNamedType | undefined, counts: Map<string, number>, seen: ReadonlySet<string>): string | undefined => {
      for (const selection of set.selections) {
        if (++visits > MAX_EXPANDED_FIELDS)
          return `The operation expands to more than ${MAX_EXPANDED_FIELDS} fields through its fragments: use fewer fragment spreads.`;
        let found: string | undefined;
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (name.startsWith('__') || !selection.selectionSet) continue;
          const field = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined;
          if (!field) continue; // Other rules report unknown fields.
          const coordinate = `${type!.name}.${name}`;
          const n = (counts.get(coordinate) ?? 0) + 1;
          if (n > max) {
            return (
              `Recursion limit of ${max} exceeded, found ${coordinate} nested ${n} times (${LIMIT_VARIABLES.maxRecursion}): ` +
              `select ${coordinate} at most ${max} times on one path; query the next level with a second request.`
            );
          }
          counts.set(coordinate, n);
          found = walk(selection.selectionSet, getNamedType(field.type), counts, seen);
          counts.set(coordinate, n - 1);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const inner = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
          found = walk(selection.selectionSet, inner, counts, seen);
        } else {
          const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(selection.name.value);
          // A fragment inside itself is NoFragmentCyclesRule's to report.
          if (!fragment || seen.has(fragment.name.value)) continue;
          found = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), counts, new Set([...seen, fragment.name.value]));
        }
        if (found) return found;
      }
      return undefined;
    };
    return {
      OperationDefinition(operation) {
        visits = 0;
        const root = schema.getRootType(operation.operation) ?? undefined;
        const problem = walk(operation.selectionSet, root, new Map(), new Set());
        if (problem) context.reportError(refusal(problem));
        return false;
      },
    };
  };
}

/**
 * How deep `{`, `(` and `[` may nest in any document a service accepts. Far
 * above what the depth limit lets through (selections nest at most MAX_DEPTH
 * plus a few input-object levels), and far below what overflows graphql's
 * recursive parser (a few thousand levels), which would otherwise answer
 * "Maximum call stack size exceeded".
 */
export const MAX_DOCUMENT_NESTING = 64;

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R]);

/**
 * The deepest nesting of a document, read by graphql's lexer, which is a loop
 * and cannot overflow. Stops as soon as the nesting passes `stopAbove`; a
 * document that does not lex returns what was read, so the parser reports
 * the syntax error itself.
 */
export function documentNesting(query: string, stopAbove = MAX_DOCUMENT_NESTING): number {
  const lexer = new Lexer(new Source(query));
  let depth = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (OPENING.has(token.kind)) {
        deepest = Math.max(deepest, ++depth);
        if (deepest > stopAbove) return deepest;
      } else if (CLOSING.has(token.kind)) {
        depth--;
      }
    }
  } catch {
    // Not lexable: the parser will say where.
  }
  return deepest;
}

/** The refusal of a document nested deeper than MAX_DOCUMENT_NESTING, before it reaches the parser. */
export function nestingRefusal(query: string): { message: string; extensions: { code: string } } | undefined {
  const nesting = documentNesting(query);
  if (nesting <= MAX_DOCUMENT_NESTING) return undefined;
  return {
    message: `The document nests brackets more than ${MAX_DOCUMENT_NESTING} levels deep: send a document with fewer nested selections or input values.`,
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  };
}
