import { STACK_VARIABLES } from './dev/stack-config-schema';
import { DIRECTORY_VARIABLES } from './directory/config-schema';
import { registryCliVariables } from './registry/cli-config-schema';
import { subgraphVariables } from './subgraph/config-schema';

/**
 * Names read by the marketplace subgraphs, the directory, the registry
 * commands and `npm start`: a shared environment (the local stack, a compose
 * file) hands them to every service, so no service warns about them.
 */
export const SHARED_SERVICE_VARIABLE_NAMES: readonly string[] = [...new Set([
  ...Object.keys(subgraphVariables()), ...Object.keys(DIRECTORY_VARIABLES), ...Object.keys(registryCliVariables()), ...Object.keys(STACK_VARIABLES),
])];
