import fs from 'node:fs';
import path from 'node:path';
import type { GatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import type { Logger } from '@qsmo/service-kit/logger';
import { DEV_KEYS_DIR } from '@qsmo/service-kit/dev-keys-dir';
import { busyPorts } from '@qsmo/service-kit/ports';

/**
 * A subgraph started on its own (`npm start -w subgraphs/<name>`) next to the
 * local stack: without the stack's signing secret it would ignore the
 * identity the local gateway signs, and every mutation through the gateway
 * would answer 401. Outside production, with no GATEWAY_SIGNING_SECRET set, it
 * takes the secret `npm start` keeps in .data/dev-keys/ (DEV_KEYS_DIR), or
 * says exactly what to set.
 */
export function localSigningSecret(config: GatewaySignatureConfig, env: NodeJS.ProcessEnv, logger: Logger): GatewaySignatureConfig {
  if (config.secret !== undefined || config.required || env.NODE_ENV === 'production') return config;
  const dir = env.DEV_KEYS_DIR || DEV_KEYS_DIR;
  const file = path.join(dir, 'signing-secret');
  let secret: string | undefined;
  try {
    secret = fs.readFileSync(file, 'utf8').trim();
  } catch {
    secret = undefined;
  }
  if (secret) {
    logger.info(
      `GATEWAY_SIGNING_SECRET is unset: using the local stack's (${path.relative(process.cwd(), file) || file}), so the gateway of \`npm start\` can send signed identities`,
    );
    return { ...config, secret };
  }
  logger.warn(
    `GATEWAY_SIGNING_SECRET is unset and ${file} does not exist: this subgraph serves every request as the anonymous reader, so mutations through a gateway answer 401. ` +
      'Run `npm start` once (it creates the local keys), or set GATEWAY_SIGNING_SECRET to the secret your gateway signs with.',
  );
  return config;
}

/** Fails before the subgraph opens its database when its port is taken, naming the process holding it. */
export async function assertSubgraphPortFree(service: string, port: number, host: string): Promise<void> {
  const busy = await busyPorts([{ service, port, host, variable: 'PORT' }]);
  if (busy.length > 0) {
    throw new Error(
      `${busy[0]} If it is the ${service} of a running \`npm start\`, stop that child with kill (the stack leaves a child stopped that way down) so yours takes its place and the local gateway reaches it, or run yours on another port and publish it with \`npm run schema:publish -w subgraphs/${service} -- --url http://localhost:<port>/graphql\`.`,
    );
  }
}
