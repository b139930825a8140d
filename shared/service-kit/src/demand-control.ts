import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, type DocumentNode } from 'graphql';
import type { Identity } from './auth/identity';
import type { EnvReader } from './config';
import { estimateCost, type CostModel } from './cost';
import { ErrorCode } from './errors';
import { seeErrorDoc } from './error-guide';

/**
 * Demand control: every operation's cost is estimated from the schema's
 * `@cost` and `@listSize` directives with its variables (see cost.ts) before
 * it is planned or executed, and refused when it is over the caller's
 * budget. The gateway applies the budgets of its callers; each subgraph
 * applies them with headroom over its own schema, so a document sent to it
 * directly is bounded too.
 */

/** The classes of callers budgets (and rate limits) are set for: the anonymous reader (and tokens with no role), analysts, editors. */
export const CALLER_CLASSES = ['anonymous', 'analyst', 'editor'] as const;
export type CallerClass = (typeof CALLER_CLASSES)[number];

/** The class whose budget applies: the highest role the caller holds. */
export function callerClassOf(identity: Identity): CallerClass {
  if (identity.roles.includes('editor')) return 'editor';
  if (identity.roles.includes('analyst')) return 'analyst';
  return 'anonymous';
}

/** The largest estimated cost one operation may have, per class of caller. */
export type CostBudgets = Readonly<Record<CallerClass, number>>;

/**
 * The anonymous reader's budget fits every operation of gateway/operations
 * (the costliest, LaunchedAndStatedDates, an analysts' question across the
 * marketplaces, is about 4,800; the others at most about 2,100) but not a
 * page of 100 agencies with four marketplaces' offerings nested (about
 * 9,000). Analysts' fits every agency's listings across the four
 * marketplaces (`agencies(first: 100)` with each marketplace's offerings and
 * the agency's listing, about 16,600) three times over. Editors read what
 * analysts read.
 */
export const DEFAULT_COST_BUDGETS: CostBudgets = { anonymous: 5_000, analyst: 50_000, editor: 50_000 };

/** The setting of each class's budget, named in every refusal so an operator knows what to raise. */
export const COST_BUDGET_VARIABLES: Readonly<Record<CallerClass, string>> = {
  anonymous: 'COST_BUDGET_ANONYMOUS',
  analyst: 'COST_BUDGET_ANALYST',
  editor: 'COST_BUDGET_EDITOR',
};

/** Reads COST_BUDGET_ANONYMOUS, COST_BUDGET_ANALYST and COST_BUDGET_EDITOR (positive whole numbers); a leftover MAX_COST is refused. */
export function readCostBudgets(env: EnvReader): CostBudgets {
  if (env.string('MAX_COST') !== undefined) {
    // Its heuristic ignored variables; running it beside the budgets would refuse what they allow, silently.
    env.problem(
      `MAX_COST is no longer read: the cost limit is now an estimate per caller with variables counted. Remove MAX_COST and set ${CALLER_CLASSES.map((c) => `${COST_BUDGET_VARIABLES[c]} (default ${DEFAULT_COST_BUDGETS[c]})`).join(', ')} instead.`,
    );
  }
  const budgets = {} as Record<CallerClass, number>;
  for (const c of CALLER_CLASSES) budgets[c] = env.positiveInt(COST_BUDGET_VARIABLES[c], DEFAULT_COST_BUDGETS[c]);
  return budgets;
}

/**
 * A subgraph's budgets from the gateway's: twice as much, as the subgraph's
 * own estimate of a gateway fetch can exceed its share of the client's (the
 * entities of a list the gateway assumed smaller than it was), while a
 * hostile document sent to it directly is still bounded.
 */
export function subgraphCostBudgets(gateway: CostBudgets): CostBudgets {
  const budgets = {} as Record<CallerClass, number>;
  for (const c of CALLER_CLASSES) budgets[c] = gateway[c] * 2;
  return budgets;
}

/** What `extensions.cost` of a costed response holds. */
export interface CostReport {
  estimated: number;
  budget: number;
}

/** The refusal of an operation over its caller's budget: HTTP 400, with both numbers and what to change. */
export function costLimitExceeded(cost: CostReport, callerClass: CallerClass): GraphQLError {
  const raise = callerClass === 'anonymous' ? ' Analysts, signed in, have a larger budget.' : '';
  return new GraphQLError(
    `The estimated cost of this operation, ${cost.estimated}, is over the budget of ${cost.budget} for ${callerClass} callers (${COST_BUDGET_VARIABLES[callerClass]}): ` +
      `ask for smaller pages (a smaller first, then page with after), select fewer nested lists, or split the query in two.${raise}${seeErrorDoc(ErrorCode.COST_LIMIT_EXCEEDED)}`,
    { extensions: { code: ErrorCode.COST_LIMIT_EXCEEDED, cost, http: { status: 400 } } },
  );
}

/** Estimates remembered per document (distinct operation names and variables); past it they start over. */
const ESTIMATES_PER_DOCUMENT = 256;

export interface DemandControlOptions<TContext> {
  /** The model of the schema being served; a server that validates operations always has one. */
  model(): CostModel | undefined;
  /** The class of the request's caller. */
  callerClassOf(context: TContext): CallerClass;
  budgets: CostBudgets;
}

/**
 * Estimates each operation once it is resolved (after parsing and
 * validation, before any response cache, plan or resolver), refuses it over
 * budget, and puts `extensions.cost` on every response to it, cached answers
 * included: `didResolveOperation` runs before any plugin's
 * `responseForOperation`, and `willSendResponse` for every answer. The
 * result object is replaced, never changed, as a response cache may hold it.
 */
export function demandControlPlugin<TContext extends BaseContext>(options: DemandControlOptions<TContext>): ApolloServerPlugin<TContext> {
  // The estimate depends only on the model, the parsed document (one object per distinct document, from Apollo's
  // document cache), the operation name and the variables: a document asked again and again is walked once.
  const estimates = new WeakMap<CostModel, WeakMap<DocumentNode, Map<string, number>>>();
  const estimate = (model: CostModel, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>): number => {
    let byDocument = estimates.get(model);
    if (!byDocument) estimates.set(model, (byDocument = new WeakMap()));
    let known = byDocument.get(document);
    if (!known) byDocument.set(document, (known = new Map()));
    const key = JSON.stringify([operationName ?? null, variables]);
    let value = known.get(key);
    if (value === undefined) {
      value = Math.min(estimateCost(model, document, operationName, variables), Number.MAX_SAFE_INTEGER);
      // Bounded per document: variables drawn anew by every caller do not pile up.
      if (known.size >= ESTIMATES_PER_DOCUMENT) known.clear();
      known.set(key, value);
    }
    return value;
  };
  return {
    async requestDidStart() {
      let cost: CostReport | undefined;
      return {
        async didResolveOperation({ document, request, contextValue }) {
          const model = options.model();
          if (!model) throw new Error('Demand control has no cost model of the schema being served; it must be given one before requests are served.');
          const callerClass = options.callerClassOf(contextValue);
          // Estimates of hostile documents can pass any integer; the report stays a JSON-safe whole number.
          const estimated = estimate(model, document, request.operationName, request.variables ?? {});
          cost = { estimated, budget: options.budgets[callerClass] };
          if (estimated > cost.budget) throw costLimitExceeded(cost, callerClass);
        },
        async willSendResponse({ response }) {
          if (!cost || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          response.body = { kind: 'single', singleResult: { ...result, extensions: { ...result.extensions, cost } } };
        },
      };
    },
  };
}
