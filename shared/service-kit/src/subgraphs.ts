import path from 'node:path';

/**
 * The one list of QSMO subgraphs. The gateway, `npm start`, the catalog
 * reader, the seed and schema commands, code generation, the tests and the
 * deployment files all read it (docker-compose.yml is generated from it), so
 * adding a QSMO is one entry here plus its package under subgraphs/<name>/
 * (see "Adding a QSMO" in docs/qsmo-teams.md).
 */
export const SUBGRAPHS = [
  {
    name: 'financial-management',
    domain: 'FINANCIAL_MANAGEMENT',
    area: 'Financial Management',
    description: 'Financial Management QSMO (Treasury, Bureau of the Fiscal Service).',
    typePrefix: 'FinancialManagement',
    fieldName: 'financialManagement',
    fibfPrefix: 'FFM',
    fibfFiles: ['fm.json'],
    standard: 'FIBF Federal Financial Management (FFM) standard',
    codeExample: 'FFM.030.070',
    offeringIdPrefix: 'fm-',
    port: 4001,
  },
  {
    name: 'human-resources',
    domain: 'HUMAN_RESOURCES',
    area: 'Human Resources',
    description: 'Human Resources QSMO (GSA from 2020, now OPM).',
    typePrefix: 'HumanResources',
    fieldName: 'humanResources',
    fibfPrefix: 'HCM',
    fibfFiles: [
      'hr_acquisition.json',
      'hr_benefits.json',
      'hr_employee.json',
      'hr_epm.json',
      'hr_hca.json',
      'hr_hce.json',
      'hr_hcs.json',
      'hr_labor.json',
      'hr_par.json',
      'hr_retirement.json',
      'hr_td.json',
    ],
    standard: "FIBF Human Capital Management (HCM) standard, organised by OPM's HCBRM",
    codeExample: 'HCM.A5-1.010',
    offeringIdPrefix: 'hr-',
    port: 4002,
  },
  {
    name: 'grants-management',
    domain: 'GRANTS_MANAGEMENT',
    area: 'Grants Management',
    description: 'Grants QSMO (HHS).',
    typePrefix: 'GrantsManagement',
    fieldName: 'grantsManagement',
    fibfPrefix: 'GRM',
    fibfFiles: ['grants.json'],
    standard: 'FIBF Grants Management (GRM) standard',
    codeExample: 'GRM.030.010',
    offeringIdPrefix: 'grm-',
    port: 4003,
  },
  {
    name: 'cybersecurity',
    domain: 'CYBERSECURITY',
    area: 'Cybersecurity',
    description: 'Cybersecurity QSMO (DHS CISA).',
    typePrefix: 'Cybersecurity',
    fieldName: 'cybersecurity',
    fibfPrefix: 'CYB',
    // SOC is the CYB base standard and CVD extends CYB.060: the first file wins a code both publish.
    fibfFiles: ['soc.json', 'cvd.json'],
    standard: 'FIBF Cybersecurity (CYB) standard: Security Operations Center and Coordinated Vulnerability Disclosure',
    codeExample: 'CYB.060.030',
    offeringIdPrefix: 'cyb-',
    port: 4004,
  },
  {
    name: 'acquisition',
    domain: 'ACQUISITION',
    area: 'Acquisition',
    description: 'Acquisition QSMO (GSA), pre-designated in 2026.',
    typePrefix: 'Acquisition',
    fieldName: 'acquisition',
    fibfPrefix: 'ACQ',
    // GSA/USSM publishes the ACQ lifecycle as its "Contract Writing" standard.
    fibfFiles: ['acq.json'],
    standard: 'FIBF Acquisition (ACQ) standard, published by GSA as the Contract Writing standard',
    codeExample: 'ACQ.020.010',
    offeringIdPrefix: 'acq-',
    port: 4005,
  },
] as const satisfies readonly SubgraphEntry[];

/** One QSMO subgraph: its names in the graph, its data and its local defaults. */
export interface SubgraphEntry {
  /** Service name in the supergraph, logs and metrics, and its folder under subgraphs/. */
  name: string;
  /** Value of the QsmoDomain enum. */
  domain: string;
  /** Human name of the area, used in messages to clients, e.g. "Grants Management". */
  area: string;
  /** Description of its QsmoDomain value. */
  description: string;
  /** Prefix of the domain's GraphQL types, e.g. "GrantsManagement". */
  typePrefix: string;
  /** Field of Query, Agency and Provider for the domain, e.g. "grantsManagement". */
  fieldName: string;
  /** FIBF service area code, e.g. "GRM". */
  fibfPrefix: string;
  /** The FIBF standard files in subgraphs/<name>/data/fibf/, named as GSA/USSM publishes them; earlier files win a code two publish. */
  fibfFiles: readonly string[];
  /** How the schema describes the standard: "FIBF Grants Management (GRM) standard". */
  standard: string;
  /** A real code of the standard, for descriptions. */
  codeExample: string;
  /** Prefix of its offering ids, e.g. "grm-". */
  offeringIdPrefix: string;
  /** Default HTTP port. */
  port: number;
}

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];
export type QsmoDomain = (typeof SUBGRAPHS)[number]['domain'];
export type Subgraph = (typeof SUBGRAPHS)[number];

export const QSMO_DOMAINS: readonly QsmoDomain[] = SUBGRAPHS.map((s) => s.domain);

/** The repository root (this file is shared/service-kit/src/subgraphs.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Environment variable names derived from a service name: grants-management + URL -> GRANTS_MANAGEMENT_URL. */
export const envName = (name: string, suffix: string): string => `${name.toUpperCase().replace(/-/g, '_')}_${suffix}`;

/** The subgraph's default database: qsmo_grants_management. */
export const defaultDatabaseOf = (s: Pick<SubgraphEntry, 'name'>): string => `qsmo_${s.name.replace(/-/g, '_')}`;

/** The subgraph's package folder. */
export const packageDirOf = (s: Pick<SubgraphEntry, 'name'>): string => path.join(REPO_ROOT, 'subgraphs', s.name);

/** The subgraph's own schema file: its `@link` and the fields only its QSMO has. */
export const ownSchemaPathOf = (entry: Pick<SubgraphEntry, 'name'>): string => path.join(packageDirOf(entry), 'schema.graphql');

/** Looks a subgraph up by service name; unknown names are a programming error. */
export function subgraphNamed<N extends string>(name: N): N extends SubgraphName ? Extract<Subgraph, { name: N }> : Subgraph {
  const found = SUBGRAPHS.find((s) => s.name === name);
  if (!found)
    throw new Error(`No QSMO subgraph is named "${name}"; the list is in shared/service-kit/src/subgraphs.ts: ${SUBGRAPHS.map((s) => s.name).join(', ')}.`);
  // A known name narrows to its own entry, so a package's typePrefix is a literal type (see catalogMutationResolvers).
  return found as N extends SubgraphName ? Extract<Subgraph, { name: N }> : Subgraph;
}

/**
 * The directory subgraph (shared/directory): the one owner of the
 * cross-QSMO catalog. It is not a QSMO: it follows every marketplace of
 * SUBGRAPHS, so a QSMO added there is listed by it with no change here.
 */
export const DIRECTORY = { name: 'directory', area: 'Cross-QSMO directory', port: 4010 } as const;

/** Human name of a subgraph's area, or the name itself for a subgraph not in the list (e.g. a test's). */
export const areaOf = (name: string): string => SUBGRAPHS.find((s) => s.name === name)?.area ?? (name === DIRECTORY.name ? DIRECTORY.area : name);
