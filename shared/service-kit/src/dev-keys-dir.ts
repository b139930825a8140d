import path from 'node:path';
import { REPO_ROOT } from './subgraphs';

/**
 * Where `npm start` keeps the development keys (the token issuer's key pair and
 * the gateway's signing secret). Here, not with the tools that write them, because
 * a subgraph started alone reads the signing secret from it at run time.
 */
export const DEV_KEYS_DIR = path.join(REPO_ROOT, '.data', 'dev-keys');
