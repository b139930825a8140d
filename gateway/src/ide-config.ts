import type { EnvReader } from '@qsmo/service-kit/config';

/** Whether the gateway serves the browser IDE (see ide.ts). */
export interface IdeConfig {
  /** IDE_ENABLED: on by default, off by default with NODE_ENV=production. */
  enabled: boolean;
}

export function readIdeConfig(env: EnvReader): IdeConfig {
  return { enabled: env.boolean('IDE_ENABLED', env.string('NODE_ENV') !== 'production') };
}
