import { runSchemaCli } from '@qsmo/registry/cli';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { DIRECTORY_SDL_PATH, directorySdl } from './schema';

/**
 * `tsx shared/directory/src/schema-cli.ts check|publish --url <url>`: the
 * directory's schema to the registry, as a marketplace's schema-cli does
 * (the Helm chart's schema-publish Job runs it after each release).
 */
runSchemaCli({ serviceName: DIRECTORY.name, defaultPort: DIRECTORY.port, schemaPath: DIRECTORY_SDL_PATH, sdl: () => directorySdl() });
