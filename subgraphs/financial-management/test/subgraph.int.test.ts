import { describeSubgraph } from '../../../test/support/subgraph-suite';
import { definition } from '../src/definition';
import { createServer } from '../src/server';

describeSubgraph(definition, createServer, {
  offeringId: 'fm-cgi-momentum',
  offeringName: 'CGI Momentum',
  providerId: 'cgi-federal',
  functionCode: 'FFM.010',
  activityCode: 'FFM.010.010',
  capabilityCode: 'FFM.010.010.011',
});
