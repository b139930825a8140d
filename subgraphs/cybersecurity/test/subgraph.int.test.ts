import { describeSubgraph } from '../../../test/support/subgraph-suite';
import { definition } from '../src/definition';
import { createServer } from '../src/server';

describeSubgraph(definition, createServer, {
  offeringId: 'cyb-mobile-app-vetting',
  offeringName: 'Mobile App Vetting (MAV)',
  providerId: 'dhs-cisa',
  customerCode: '070',
  functionCode: 'CYB.010',
  activityCode: 'CYB.010.010',
  capabilityCode: 'CYB.010.010.100',
});
