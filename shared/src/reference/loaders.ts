import type DataLoader from 'dataloader';
import { byIdLoader } from '../loaders';
import type { AgencyDoc, ProviderDoc, QsmoDoc, ReferenceCollections } from './documents';

export interface ReferenceLoaders {
  agency: DataLoader<string, AgencyDoc | null>;
  provider: DataLoader<string, ProviderDoc | null>;
  qsmo: DataLoader<string, QsmoDoc | null>;
}

export function createReferenceLoaders(c: ReferenceCollections): ReferenceLoaders {
  return { agency: byIdLoader(c.agencies), provider: byIdLoader(c.providers), qsmo: byIdLoader(c.qsmos) };
}
