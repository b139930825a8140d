import { runSchemaCli } from '@qsmo/shared/registry';
import { definition } from './definition';

runSchemaCli(definition);
