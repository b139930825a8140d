import { runCatalogCli } from '@qsmo/shared/catalog-io/cli';
import { entry } from './entry';

runCatalogCli(entry);
