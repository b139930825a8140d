export { createDirectoryServer, marketplaceSources, DIRECTORY_NAME, DEFAULT_DIRECTORY_POLL_MS, type DirectoryServer, type DirectoryServerDeps } from './server';
export { DirectoryProjection, type MarketplaceSource, type OfferingRow } from './projection';
export { directorySdl, directoryTypeDefs } from './schema';
export { readDirectoryConfig, runDirectory, DIRECTORY_DEFAULT_PORT } from './run';
