import { ConfigError } from '@qsmo/service-kit/errors';
import { EnvReader } from '@qsmo/service-kit/config';

/** The problems a configuration reading stops with; fails the test when it does not stop. */
export function configProblems(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** The problems of reading `environment` with `read` (none when it reads cleanly): for one group of settings read with a schema-less reader. */
export function readingProblems(environment: NodeJS.ProcessEnv, read: (env: EnvReader) => unknown): string[] {
  const env = new EnvReader(environment);
  read(env);
  try {
    env.done();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
