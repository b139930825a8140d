import { describeSubgraph } from '../../../test/support/subgraph-suite';
import { definition } from '../src/definition';
import { createServer } from '../src/server';

describeSubgraph(definition, createServer, {
  offeringId: 'hr-opm-usa-staffing',
  offeringName: 'USA Staffing',
  providerId: 'opm',
  customerCode: '014',
  functionCode: 'HCM.A3-1',
  activityCode: 'HCM.A3-1.010',
  capabilityCode: 'HCM.A3-1.010.010',
});
