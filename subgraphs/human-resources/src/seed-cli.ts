import { runSeedCli } from '@qsmo/shared';
import { definition } from './definition';

runSeedCli([definition]);
