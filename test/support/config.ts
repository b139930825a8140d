import { ConfigError } from '@qsmo/service-kit/errors';

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
