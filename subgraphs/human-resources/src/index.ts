import { runSubgraph } from '@qsmo/shared';
import { definition } from './definition';

runSubgraph(definition);
