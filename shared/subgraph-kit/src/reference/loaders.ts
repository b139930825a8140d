import type DataLoader from 'dataloader';
import { byId, byIdLoader, groupLoader } from '@qsmo/service-kit/loaders';
import type { AgencyDoc, ProviderDoc, QsmoDoc, ReferenceCollections } from './documents';

export interface ReferenceLoaders {
  agency: DataLoader<string, AgencyDoc | null>;
  provider: DataLoader<string, ProviderDoc | null>;
  qsmo: DataLoader<string, QsmoDoc | null>;
  /** The QSMOs an agency leads today, by its CGAC code. */
  qsmosByLeadAgency: DataLoader<string, QsmoDoc[]>;
}

export function createReferenceLoaders(c: ReferenceCollections): ReferenceLoaders {
  return {
    agency: byIdLoader(c.agencies),
    provider: byIdLoader(c.providers),
    qsmo: byIdLoader(c.qsmos),
    qsmosByLeadAgency: groupLoader(c.qsmos, 'leadAgencyCode', byId),
  };
}
