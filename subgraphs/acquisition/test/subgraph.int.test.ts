import { describeSubgraph } from '../../../test/support/subgraph-suite';
import { definition } from '../src/definition';
import { createServer } from '../src/server';

describeSubgraph(definition, createServer, {
  offeringId: 'acq-gsa-assisted-acquisition-services',
  offeringName: 'GSA Assisted Acquisition Services (AAS)',
  providerId: 'gsa-fas',
  customerCode: '005',
  functionCode: 'ACQ.020',
  activityCode: 'ACQ.020.070',
  capabilityCode: 'ACQ.020.070.011',
});
