import { runSchemaCli } from '@qsmo/registry/cli';
import { definition } from './definition';

runSchemaCli(definition);
