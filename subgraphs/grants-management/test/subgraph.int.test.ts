import { describeSubgraph } from '../../../test/support/subgraph-suite';
import { definition } from '../src/definition';
import { createServer } from '../src/server';

describeSubgraph(definition, createServer, {
  offeringId: 'grm-grantsolutions',
  offeringName: 'GrantSolutions',
  providerId: 'hhs',
  customerCode: '075',
  mappedFunctionCode: 'GRM.030',
  functionCode: 'GRM.010',
  activityCode: 'GRM.010.010',
  capabilityCode: 'GRM.010.010.011',
});
