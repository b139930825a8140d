import { operationLimitRules, tokenLimitMessagePlugin, tokenLimitParseOptions, type OperationLimits } from '@qsmo/service-kit/limits';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/**
 * Operation limits at the gateway (depth, aliases, tokens, directives, cost,
 * recursion), checked while parsing and validating, so a hostile document is
 * refused with 400 before the query planner, whose cost grows with the
 * document, ever sees it. A refused document is never cached, so renaming
 * aliases gains an attacker nothing.
 */
export function useOperationLimits(limits: OperationLimits): GatewayPlugin {
  return {
    name: 'operation-limits',
    parseOptions: tokenLimitParseOptions(limits),
    validationRules: operationLimitRules(limits),
    apolloPlugins: [tokenLimitMessagePlugin<GatewayContext>()],
  };
}
