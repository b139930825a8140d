/**
 * The layering of the graph's code, checked on every `npm test` (`npm run lint:deps`).
 *
 * Packages under shared/, lowest first:
 *   service-kit, embedded-db   -> nothing of the project's (service-kit loads embedded-db
 *                                 only dynamically, when no MONGODB_URI is set)
 *   catalog                    -> service-kit
 *   subgraph-kit               -> service-kit, catalog
 *   directory, registry        -> service-kit, catalog, subgraph-kit
 *   dev-tools                  -> anything
 * The services (gateway/, subgraphs/*) sit on top; their runtime code never loads
 * dev-tools (only their command-line entry points, `*-cli.ts`, may), and no package
 * imports a service. Inside the subgraph kit the domain mechanics sit below the
 * marketplace resolvers, the server and catalog import/export.
 */
const PKG = (name) => `^shared/${name}/src/`;
const RUNTIME_SRC = '^(shared/(service-kit|embedded-db|catalog|subgraph-kit|directory|registry)/src/|gateway/src/|subgraphs/[^/]+/src/)';

/** Each package and the packages it may import. */
const allowed = {
  'service-kit': [],
  'embedded-db': [],
  catalog: ['service-kit'],
  'subgraph-kit': ['service-kit', 'catalog'],
  directory: ['service-kit', 'catalog', 'subgraph-kit'],
  registry: ['service-kit', 'catalog', 'subgraph-kit'],
};
const ALL = ['service-kit', 'embedded-db', 'catalog', 'subgraph-kit', 'directory', 'registry', 'dev-tools'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: split the shared part out into a module both can import.',
      from: {},
      to: { circular: true },
    },
    ...Object.entries(allowed).map(([pkg, may]) => ({
      name: `layer-${pkg}`,
      severity: 'error',
      comment: `shared/${pkg} may import only ${may.length ? may.map((m) => `shared/${m}`).join(', ') : 'no other package of the project'} (see .dependency-cruiser.cjs)`,
      // A package's command-line entry point (`*-cli.ts`) sits on top of it, like a service: e.g. the
      // directory's `schema:publish` uses the registry.
      from: { path: PKG(pkg), pathNot: '-cli\\.ts$' },
      to: {
        path: `^(shared/(${ALL.filter((p) => p !== pkg && !may.includes(p)).join('|')})/|gateway/|subgraphs/|test/)`,
        // The one lazy load: the embedded database, when no MONGODB_URI is set.
        pathNot: pkg === 'service-kit' ? '^shared/embedded-db/src/ferretdb\\.ts$' : undefined,
      },
    })),
    {
      name: 'service-kit-loads-embedded-db-lazily',
      severity: 'error',
      comment: 'The service kit loads the embedded database only with a dynamic import, so a service on MongoDB never loads it.',
      from: { path: PKG('service-kit') },
      to: { path: '^shared/embedded-db/', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'runtime-never-loads-dev-tools',
      severity: 'error',
      comment: 'Running services never load development tools; only command-line entry points (*-cli.ts) may.',
      from: { path: RUNTIME_SRC, pathNot: '-cli\\.ts$|/codegen(-cli)?\\.ts$' },
      to: { path: '^shared/dev-tools/' },
    },
    {
      name: 'no-package-imports-a-service',
      severity: 'error',
      comment: 'The shared packages serve the services, never the other way round.',
      from: { path: '^shared/[^/]+/src/', pathNot: '^shared/dev-tools/' },
      to: { path: '^(gateway|subgraphs)/' },
    },
    {
      name: 'gateway-reads-only-schemas-of-subgraphs',
      severity: 'error',
      comment: "The gateway composes from the subgraphs' schema files; it never loads their servers or domain mechanics.",
      from: { path: '^gateway/src/', pathNot: '-cli\\.ts$' },
      to: { path: '^shared/(subgraph-kit|directory)/src/', pathNot: '^shared/(subgraph-kit/src/subgraph|directory/src)/schema\\.ts$' },
    },
    {
      name: 'services-are-independent',
      severity: 'error',
      comment: 'A subgraph never imports another subgraph or the gateway (each ships on its own schedule).',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^(subgraphs/|gateway/)', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'domain-below-resolvers-and-server',
      severity: 'error',
      comment: 'The domain mechanics (catalog writes, change feed, seeding) sit below the resolvers, the server and import/export.',
      from: { path: '^shared/subgraph-kit/src/domain/' },
      to: { path: '^shared/subgraph-kit/src/(marketplace|subgraph|catalog-io)/' },
    },
    {
      name: 'resolvers-below-server',
      severity: 'error',
      comment: 'The marketplace resolvers do not reach up into the server that hosts them.',
      from: { path: '^shared/subgraph-kit/src/marketplace/' },
      to: { path: '^shared/subgraph-kit/src/subgraph/' },
    },
    {
      name: 'source-never-imports-tests',
      severity: 'error',
      comment: 'Test helpers are for tests.',
      from: { path: RUNTIME_SRC },
      to: { path: '(^|/)test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.data|\\.tools|dist)/' },
    // Type-only imports count: a circle of types is still a circle for a reader.
    tsPreCompilationDeps: true,
    // TypeScript 7's compiler has no JavaScript API yet; swc (already here for jest) parses the sources.
    parser: 'swc',
    // Packages resolve through their node_modules links and `exports` maps, as Node resolves them.
    preserveSymlinks: false,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
