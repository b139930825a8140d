import { ANONYMOUS } from '@qsmo/service-kit/auth/identity';
import { costModelOfSupergraph, type CostModel } from '@qsmo/service-kit/cost';
import { callerClassOf, demandControlPlugin, DEFAULT_COST_BUDGETS, type CostBudgets } from '@qsmo/service-kit/demand-control';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/**
 * Demand control at the gateway: each operation's cost is estimated with its
 * variables from the `@cost` and `@listSize` the subgraphs declare (read
 * from every supergraph the gateway loads: the API schema Apollo Server
 * validates against has them stripped), and refused with 400
 * COST_LIMIT_EXCEEDED over the budget of the caller's class before it is
 * planned. Every costed response carries `extensions.cost`, answers from the
 * response cache too. Its place (phases.ts) is after authentication, whose identity it reads.
 */
export function useDemandControl(budgets: CostBudgets = DEFAULT_COST_BUDGETS): GatewayPlugin {
  let model: CostModel | undefined;
  return {
    name: 'demand-control',
    onSupergraphLoad({ supergraph, apiSchema }) {
      model = costModelOfSupergraph(supergraph, apiSchema);
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
