import { runCatalogCli } from '@qsmo/subgraph-kit/catalog-io/cli';
import { entry } from './entry';

runCatalogCli(entry);
