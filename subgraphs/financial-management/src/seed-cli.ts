import { runSeedCli } from '@qsmo/dev-tools/seed';
import { entry } from './entry';

runSeedCli([entry]);
