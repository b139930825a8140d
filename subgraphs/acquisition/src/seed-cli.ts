import { runSeedCli } from '@qsmo/shared';
import { entry } from './entry';

runSeedCli([entry]);
