import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EnvReader } from '../config';
import { ErrorCode } from '../errors';
import { ANONYMOUS, type Identity } from './identity';
import { IDENTITY_HEADER, InternalTokenError, MIN_SECRET_LENGTH, verificationKeys, verifyInternalToken } from './internal-token';

/**
 * What a subgraph trusts: requests the gateway signed with the shared
 * secret. With `required`, nothing else reaches GraphQL (not even `_service`
 * or `_entities`); without it, unsigned requests are served as the anonymous
 * public reader (development and tests), and signed ones are still verified.
 */
export interface GatewaySignatureConfig {
  /** GATEWAY_SIGNING_SECRET, shared with the gateway. */
  secret?: string;
  /**
   * GATEWAY_SIGNING_SECRETS_ACCEPTED: secrets whose signatures are accepted
   * besides `secret`, so that while the secret is rotated a request signed
   * by a gateway still on the previous one (or already on the next one) is
   * answered. Never used to sign.
   */
  accepted?: readonly string[];
  /** REQUIRE_GATEWAY_SIGNATURE; default true with NODE_ENV=production. */
  required: boolean;
}

/** Reads GATEWAY_SIGNING_SECRET, GATEWAY_SIGNING_SECRETS_ACCEPTED and REQUIRE_GATEWAY_SIGNATURE; requiring a signature without a secret is a start-up error. */
export function readGatewaySignatureConfig(env: EnvReader): GatewaySignatureConfig {
  const secret = readSigningSecret(env);
  const accepted = readAcceptedSecrets(env);
  const required = env.boolean('REQUIRE_GATEWAY_SIGNATURE', env.string('NODE_ENV') === 'production');
  if (required && secret === undefined) {
    env.problem(
      "Subgraphs require the gateway's signature (NODE_ENV=production or REQUIRE_GATEWAY_SIGNATURE=true) but GATEWAY_SIGNING_SECRET is unset: set it to the same secret as the gateway's (e.g. `openssl rand -hex 32`).",
    );
  }
  if (accepted.length > 0 && secret === undefined) {
    env.problem(
      'GATEWAY_SIGNING_SECRETS_ACCEPTED is set but GATEWAY_SIGNING_SECRET is unset: set GATEWAY_SIGNING_SECRET to the secret the gateway signs with; the accepted secrets are only checked besides it.',
    );
  }
  return { secret, accepted, required };
}

/**
 * GATEWAY_SIGNING_SECRETS_ACCEPTED, split on commas, each checked for
 * length like GATEWAY_SIGNING_SECRET. A problem names the entry by its
 * position, never by its text: the message ends up in logs.
 */
export function readAcceptedSecrets(env: EnvReader): string[] {
  const raw = env.string('GATEWAY_SIGNING_SECRETS_ACCEPTED');
  if (raw === undefined) return [];
  const entries = raw.split(',').map((entry) => entry.trim());
  const accepted: string[] = [];
  entries.forEach((secret, index) => {
    const entry = `GATEWAY_SIGNING_SECRETS_ACCEPTED entry ${index + 1} of ${entries.length}`;
    if (secret === '') {
      env.problem(`${entry} is empty: separate the accepted secrets with single commas, with none before the first or after the last.`);
    } else if (secret.length < MIN_SECRET_LENGTH) {
      env.problem(
        `${entry} is ${secret.length} characters long: each accepted secret must be at least ${MIN_SECRET_LENGTH} characters, like GATEWAY_SIGNING_SECRET (list only secrets a gateway signs or signed with).`,
      );
    } else {
      accepted.push(secret);
    }
  });
  return accepted;
}

/** GATEWAY_SIGNING_SECRET, checked for length; the gateway and the subgraphs read it the same way. */
export function readSigningSecret(env: EnvReader): string | undefined {
  const secret = env.string('GATEWAY_SIGNING_SECRET');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    env.problem(
      `GATEWAY_SIGNING_SECRET is ${secret.length} characters long: use at least ${MIN_SECRET_LENGTH} random characters (e.g. \`openssl rand -hex 32\`).`,
    );
  }
  return secret;
}

/**
 * The subgraph's HTTP guard (createHttpService's beforeRequest): verifies
 * the gateway's signature on every /graphql request before its body is
 * read, records the identity for the context, and answers 401 itself when
 * the request may not go on.
 */
export function gatewaySignatureGuard(config: GatewaySignatureConfig, audience: string, identities: WeakMap<IncomingMessage, Identity>) {
  const secret = config.secret === undefined ? undefined : verificationKeys(config.secret, config.accepted);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/graphql') return false;
    const header = req.headers[IDENTITY_HEADER];
    const token = Array.isArray(header) ? header[0] : header;
    if (token === undefined || secret === undefined) {
      if (!config.required) {
        identities.set(req, ANONYMOUS);
        return false;
      }
      return refuse(
        res,
        `This subgraph answers only requests signed by the gateway (${IDENTITY_HEADER} is missing): send your query to the gateway's /graphql instead.`,
      );
    }
    try {
      identities.set(req, await verifyInternalToken(token, secret, audience));
      return false;
    } catch (error) {
      if (error instanceof InternalTokenError) return refuse(res, `Refused: ${error.message}`);
      throw error;
    }
  };
}

function refuse(res: ServerResponse, message: string): true {
  res.statusCode = 401;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('www-authenticate', `Bearer realm="${IDENTITY_HEADER}"`);
  res.end(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.UNAUTHENTICATED } }] }));
  return true;
}
