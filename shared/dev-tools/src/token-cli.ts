import { parseArgs } from 'node:util';
import { ROLES, type Role } from '@qsmo/service-kit/auth/identity';
import { QSMO_DOMAINS, type QsmoDomain } from '@qsmo/service-kit/subgraphs';
import { DEV_KEYS_DIR, ensureDevKeys, mintDevToken } from './dev-keys';

/**
 * `npm run token -- --role editor --qsmo GRANTS_MANAGEMENT [--sub alice] [--ttl 1h]`:
 * prints a token for the local stack's gateway (signed with the key `npm
 * start` generated), to send as `Authorization: Bearer <token>`.
 */
const USAGE = `usage: npm run -s token -- [--role analyst|editor]... [--qsmo ${QSMO_DOMAINS.join('|')}]... [--sub NAME] [--ttl 1h]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true, default: [] },
      qsmo: { type: 'string', multiple: true, default: [] },
      sub: { type: 'string', default: 'developer' },
      ttl: { type: 'string', default: '1h' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const problems: string[] = [];
  for (const role of values.role) if (!(ROLES as readonly string[]).includes(role)) problems.push(`--role ${role}: use one of ${ROLES.join(', ')}.`);
  for (const qsmo of values.qsmo)
    if (!(QSMO_DOMAINS as readonly string[]).includes(qsmo)) problems.push(`--qsmo ${qsmo}: use one of ${QSMO_DOMAINS.join(', ')}.`);
  if (values.qsmo.length && !values.role.includes('editor')) problems.push('--qsmo names the QSMOs an editor edits: add --role editor.');
  if (values.role.includes('editor') && !values.qsmo.length) problems.push('--role editor needs the QSMOs to edit: add --qsmo, e.g. --qsmo GRANTS_MANAGEMENT.');
  if (!/^\d+\s?(s|m|h|d)$/.test(values.ttl)) problems.push(`--ttl ${values.ttl}: use a number and s, m, h or d, e.g. 30m or 8h.`);
  if (!/^[\w.@-]{1,100}$/.test(values.sub)) problems.push(`--sub ${values.sub}: use letters, digits, . _ @ or -.`);
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const keys = await ensureDevKeys(process.env.DEV_KEYS_DIR || DEV_KEYS_DIR);
  process.stdout.write(
    `${await mintDevToken(keys, { subject: values.sub, roles: values.role as Role[], qsmos: values.qsmo as QsmoDomain[], ttl: values.ttl })}\n`,
  );
}

void main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
});
