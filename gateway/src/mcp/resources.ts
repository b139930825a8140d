import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';

/** A read-only document an assistant can load before asking: what the graph is and where its facts come from. */
export interface GuideResource {
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: 'text/markdown';
  text(): string;
}

const CATALOG_DIR = path.join(REPO_ROOT, 'shared', 'catalog');

/**
 * The start of every conversation with the graph: its purpose, the QSMOs
 * (from the one list of subgraphs, so a new QSMO appears here by itself),
 * where the facts come from and how current they are, and which tools
 * exist. Short on purpose: the reference documents are separate resources.
 */
export function guideText(): string {
  const qsmos = SUBGRAPHS.map(
    (s) =>
      `- **${s.area}** (\`${s.fieldName}\` in queries, \`${s.domain}\` as a QsmoDomain): ${s.description} Functions follow the ${s.standard}, codes like \`${s.codeExample}\`.`,
  );
  return [
    '# The QSMO shared-services graph',
    '',
    "One GraphQL graph over the marketplaces of the US government's Quality Service Management Offices (QSMOs): the offerings",
    'each marketplace lists, the providers behind them, the agencies listed as their customers, and the Federal Integrated',
    'Business Framework (FIBF) functions and activities they serve. It is read-only for assistants.',
    '',
    `## The ${SUBGRAPHS.length} QSMOs`,
    '',
    ...qsmos,
    '',
    'Agencies are identified by their CGAC code, a 3-character string with leading zeros (e.g. "075" for HHS).',
    '',
    '## Where the facts come from, and how current they are',
    '',
    '- Every catalog row comes from a public source and names it; `qsmo://reference/sources` lists the sources and their licences.',
    '- The sources are stored copies, not re-checked live: `qsmo://reference/facts` (the domain fact sheet) names its snapshot and',
    '  tags each fact with its confidence; `qsmo://reference/notes` records the uncertainties, exclusions and judgement calls.',
    '- A customer listing records what a source said on the date it gives (`statedOn`, empty when the source is undated), not a',
    '  live contract: many Financial Management and Human Resources listings date from 2001-2015. Say so when you report them.',
    '- Never fill a gap with a guess: an empty field means no source states it.',
    '',
    '## Tools',
    '',
    '- One tool per trusted operation, named after it (e.g. `AgencyPortfolio`): its description says what it answers and gives an example.',
    '- With an analyst token: `schema` (the SDL of the graph, or of one type) and `query` (any GraphQL query, under the same limits and cost budget).',
    '- Errors say what to change: a `COST_LIMIT_EXCEEDED` error asks for a smaller page (`first`), a `BAD_USER_INPUT` error names the argument.',
  ].join('\n');
}

function fileResource(file: string, name: string, title: string, description: string): GuideResource {
  let text: string | undefined;
  return {
    uri: `qsmo://reference/${name}`,
    name,
    title,
    description,
    mimeType: 'text/markdown',
    // Read on first use and kept: these files change only with a release.
    text: () => (text ??= fs.readFileSync(path.join(CATALOG_DIR, file), 'utf8')),
  };
}

/** The resources every caller may read. */
export const GUIDE_RESOURCES: readonly GuideResource[] = [
  {
    uri: 'qsmo://guide',
    name: 'guide',
    title: 'Start here: the QSMO graph',
    mimeType: 'text/markdown',
    description: 'What the graph answers, the QSMOs, where its facts come from and how current they are, and its tools.',
    text: guideText,
  },
  fileResource('qsmo-facts.md', 'facts', 'QSMO domain fact sheet', 'Policy, the QSMOs and their marketplaces, each fact with its source and a confidence tag.'),
  fileResource('NOTES.md', 'notes', 'Catalog notes', 'Uncertainties, exclusions and judgement calls of the catalog data: read before drawing conclusions.'),
  fileResource('SOURCES.md', 'sources', 'Catalog sources', 'Every source of the catalog, with its licence and the rows it supports.'),
];
