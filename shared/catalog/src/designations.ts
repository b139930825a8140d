/**
 * Where each QSMO stands in OMB's designation process. qsmos.csv has no
 * column for the phase: it is in the GSA/USSM QSMO cards (SOURCES.md gives
 * each card's phase in its title) and in the rows' notes. Without this table a
 * pre-designated QSMO with a thin catalog would read like any other. Each
 * entry cites only source keys of its own qsmos.csv row, and the reader checks
 * it against the row: a DESIGNATED entry dates from `designated_on`, a
 * PRE_DESIGNATED one has no `designated_on`.
 */
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';

export type DesignationPhase = 'PRE_DESIGNATED' | 'DESIGNATED';

/** One QSMO's phase, as this table states it. */
export interface DesignationEntry {
  phase: DesignationPhase;
  /** YYYY-MM-DD; see DesignationRecord.since. */
  since: string | null;
  /** What the date stands for and what the sources leave open, condensed from qsmos.csv notes and SOURCES.md. */
  note: string | null;
  /** Source keys of the row's `source` cell that state the phase and its date. */
  sourceKeys: readonly string[];
}

const CARD = (file: string): string => `GSA/USSM@919aa42a:_qsmos/${file}`;

/**
 * Every QSMO of the list has an entry (the record type makes a missing one a
 * compile error). Phases in the words of the cards: "Formally Designated",
 * "Pre-designated".
 */
export const QSMO_DESIGNATIONS: Record<QsmoDomain, DesignationEntry> = {
  FINANCIAL_MANAGEMENT: {
    phase: 'DESIGNATED',
    since: '2020-06-29',
    note: 'Pre-designated in April 2019 (OMB M-19-16); formally designated on 2020-06-29.',
    sourceKeys: [CARD('1-finance.md'), 'https://www.gsa.gov/about-us/newsroom/news-releases/administration-announces-two-new-qsmo-treasury-and-gsa'],
  },
  HUMAN_RESOURCES: {
    phase: 'DESIGNATED',
    since: '2020-06-29',
    note:
      'Formally designated on 2020-06-29 with GSA as lead. OMB redesignated OPM as lead on a 30 March whose year no source gives ' +
      '(ussm.gsa.gov showed OPM as pre-designated lead from 2022-03-31, which suggests 2022); the OPM card reads "Formally Designated" ' +
      'since 2025-03-18 (site metadata; no OMB announcement found).',
    sourceKeys: [
      CARD('1-hr-transaction.md'),
      'https://www.gsa.gov/about-us/newsroom/news-releases/administration-announces-two-new-qsmo-treasury-and-gsa',
      'GSA/USSM@c278b523:_qsmos/1-hr.md',
      'GSA/USSM@1d2d1398:_qsmos/2-hr-transaction.md',
      'GSA/USSM@2cebedb8:_qsmos/2-hr-transaction.md',
      'https://develop.fedscoop.com/opm-hr-shared-services-qsmo/',
    ],
  },
  GRANTS_MANAGEMENT: {
    phase: 'DESIGNATED',
    since: '2021-01-11',
    note: 'Formally designated by an OMB release of 2021-01-11 (GAO says January 2021).',
    sourceKeys: [
      CARD('1-grants.md'),
      'GSA/USSM@919aa42a:_news-posts/2020-01-11-HHS-designated.md',
      'https://www.nextgov.com/modernization/2021/01/trump-admin-names-fourth-and-final-shared-services-lead/171308/',
    ],
  },
  CYBERSECURITY: {
    phase: 'DESIGNATED',
    since: '2020-04-27',
    note: 'Formally designated on 2020-04-27, the first QSMO to be.',
    sourceKeys: [CARD('1-cybersecurity.md'), 'GSA/USSM@919aa42a:_news-posts/2020-04-27-CISA-selected-qsmo.md'],
  },
  ACQUISITION: {
    phase: 'PRE_DESIGNATED',
    since: '2026-04-29',
    note:
      'The date the ussm.gsa.gov card stating "Pre-designated" was published. OMB announced the QSMO\'s launch on 2026-03-05 ' +
      '(reported 2026-03-06) without naming a phase. No formal designation, marketplace name or public catalog was found.',
    sourceKeys: [CARD('3-acquisition.md'), 'https://www.executivegov.com/articles/omb-gsa-acquisition-qsmo'],
  },
};
