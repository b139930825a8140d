/**
 * Names read by the marketplace subgraphs, the directory, the registry
 * commands and `npm start`: a shared environment (the local stack, a compose
 * file) hands them to every service, so no service warns about them. The list
 * is generated from those services' schemas by `npm run codegen`.
 */
export { SHARED_SERVICE_VARIABLE_NAMES } from './generated/config-names';
