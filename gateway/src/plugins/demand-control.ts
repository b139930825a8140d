import { ANONYMOUS } from '@qsmo/service-kit/auth/identity';
import { costModelOfSupergraph, estimateCost, type CostModel } from '@qsmo/service-kit/cost';
import { callerClassOf, costLimitExceeded, demandControlPlugin, DEFAULT_COST_BUDGETS, type CostBudgets } from '@qsmo/service-kit/demand-control';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/**
 * Demand control at the gateway: each operation's cost is estimated with its
 * variables from the `@cost` and `@listSize` the subgraphs declare (read
 * from every supergraph the gateway loads: the API schema Apollo Server
 * validates against has them stripped), and refused with 400
 * COST_LIMIT_EXCEEDED over the budget of the caller's class before it is
 * planned. Every costed response carries `extensions.cost`, answers from the
 * response cache too. A subscription is refused when it starts if the
 * query one of its events runs is over the budget: every event would
 * otherwise deliver the same COST_LIMIT_EXCEEDED. Its place (phases.ts) is
 * after authentication, whose identity it reads.
 */
export function useDemandControl(budgets: CostBudgets = DEFAULT_COST_BUDGETS): GatewayPlugin {
  let model: CostModel | undefined;
  return {
    name: 'demand-control',
    onSupergraphLoad({ supergraph, apiSchema }) {
      model = costModelOfSupergraph(supergraph, apiSchema);
    },
    checkSubscription({ eventQueries }, context) {
      if (!model) throw new Error('Demand control has no cost model of the schema being served; it must be given one before subscriptions start.');
      const callerClass = callerClassOf(context.identity ?? ANONYMOUS);
      const budget = budgets[callerClass];
      let estimated = 0;
      for (const { document, variables } of eventQueries)
        estimated = Math.max(estimated, Math.min(estimateCost(model, document, null, variables), Number.MAX_SAFE_INTEGER));
      return estimated > budget ? costLimitExceeded({ estimated, budget }, callerClass) : undefined;
    },
    apolloPlugins: [
      demandControlPlugin<GatewayContext>({
        model: () => model,
        callerClassOf: (context) => callerClassOf(context.identity ?? ANONYMOUS),
        budgets,
      }),
    ],
  };
}
