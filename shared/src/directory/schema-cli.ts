import { runSchemaCli } from '../registry/cli';
import { DIRECTORY } from '../subgraphs';
import { DIRECTORY_SDL_PATH, directorySdl } from './schema';

/**
 * `tsx shared/src/directory/schema-cli.ts check|publish --url <url>`: the
 * directory's schema to the registry, as a marketplace's schema-cli does
 * (the Helm chart's schema-publish Job runs it after each release).
 */
runSchemaCli({ serviceName: DIRECTORY.name, defaultPort: DIRECTORY.port, schemaPath: DIRECTORY_SDL_PATH, sdl: () => directorySdl() });
