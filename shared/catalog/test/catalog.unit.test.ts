import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  buildCapabilityTree,
  CATALOG_CSV_FILES,
  CatalogDataError,
  CsvError,
  DEFAULT_CATALOG_PATHS,
  listUnknownSourceKeys,
  normalizeFibfId,
  parseCsv,
  parseCsvRecords,
  parseSourcesMarkdown,
  QSMO_DOMAINS,
  readAgencies,
  readCapabilities,
  readCapabilityAnomalies,
  readCatalog,
  readOfferingCustomers,
  readOfferings,
  readProviders,
  readQsmos,
  resolveSources,
  toCsvField,
  toCsvLine,
  type CapabilityRecord,
  type QsmoDomain,
  type SourceRecord,
} from '@qsmo/catalog';

const CATALOG_DIR = DEFAULT_CATALOG_PATHS.catalogDir;
const CSV_FILES = [...CATALOG_CSV_FILES];
const USSM_BLOB = 'https://github.com/GSA/USSM/blob/919aa42afc3f6d6c3c233a8370dd9e84757bd1a8/';
/** Data rows of a catalog CSV, so counts follow the files when rows are added. */
const rowCount = (file: string): number => parseCsv(fs.readFileSync(path.join(CATALOG_DIR, file), 'utf8'), file).length;

describe('CSV parser', () => {
  it('reads quoted fields, doubled quotes, embedded commas and line breaks', () => {
    const text = 'id,text,n\n1,"a, b",x\n2,"say ""hi""",\n3,"line1\nline2",""\n';
    expect(parseCsv(text, 't.csv')).toEqual([
      { id: '1', text: 'a, b', n: 'x' },
      { id: '2', text: 'say "hi"', n: '' },
      { id: '3', text: 'line1\nline2', n: '' },
    ]);
  });

  it('accepts CRLF, a BOM and a missing final line break', () => {
    const text = '\ufeffa,b\r\n1,"x\r\ny"\r\n2,3';
    expect(parseCsv(text, 't.csv')).toEqual([
      { a: '1', b: 'x\r\ny' },
      { a: '2', b: '3' },
    ]);
  });

  it('reports the physical start line of each record', () => {
    const records = parseCsvRecords('a,b\n1,"multi\nline"\n2,z\n', 't.csv');
    expect(records.map((r) => r.line)).toEqual([2, 4]);
  });

  it('rejects an unterminated quote, naming file and line', () => {
    expect(() => parseCsv('a,b\n1,ok\n2,"open\n3,x\n', 'bad.csv')).toThrow('bad.csv:3: unterminated quoted field');
    expect(() => parseCsv('a,b\n1,ok\n2,"open\n3,x\n', 'bad.csv')).toThrow(CsvError);
  });

  it('rejects a wrong column count, counting lines inside quoted fields', () => {
    expect(() => parseCsv('a,b\n1,"two\nlines"\n2,3,4\n', 'bad.csv')).toThrow('bad.csv:4: expected 2 columns, found 3');
    expect(() => parseCsv('a,b\n1\n', 'bad.csv')).toThrow('bad.csv:2: expected 2 columns, found 1');
  });

  it('rejects stray quotes and malformed headers', () => {
    expect(() => parseCsv('a,b\n1,"x"y\n', 'bad.csv')).toThrow(/bad\.csv:2: unexpected character "y" after closing quote/);
    expect(() => parseCsv('a,b\n1,x"y\n', 'bad.csv')).toThrow('bad.csv:2: quote inside an unquoted field');
    expect(() => parseCsv('a,a\n1,2\n', 'bad.csv')).toThrow('bad.csv:1: duplicate column "a" in header');
    expect(() => parseCsv('', 'empty.csv')).toThrow('empty.csv:1: missing header row');
  });

  it('writes fields quoted only when needed', () => {
    expect(toCsvField('plain')).toBe('plain');
    expect(toCsvField('a,b')).toBe('"a,b"');
    expect(toCsvField('say "hi"')).toBe('"say ""hi"""');
    expect(toCsvField('two\nlines')).toBe('"two\nlines"');
    expect(toCsvField(null)).toBe('');
    expect(toCsvField(true)).toBe('true');
    expect(toCsvLine(['075', 'a;b', 'x, y', undefined, 3])).toBe('075,a;b,"x, y",,3');
  });

  it('round-trips tricky values through writer and parser', () => {
    const values = ['q"uote', 'comma,', 'cr\r\nlf', '', ' spaced '];
    expect(parseCsv(`${toCsvLine(['a', 'b', 'c', 'd', 'e'])}\n${toCsvLine(values)}\n`, 'rt.csv')).toEqual([
      { a: 'q"uote', b: 'comma,', c: 'cr\r\nlf', d: '', e: ' spaced ' },
    ]);
  });

  it.each(CSV_FILES)('re-serializes %s byte for byte (same quoting convention)', (file) => {
    const text = fs.readFileSync(path.join(CATALOG_DIR, file), 'utf8');
    const rows = parseCsv(text, file);
    const header = text.slice(0, text.indexOf('\n')).split(',');
    const out = [toCsvLine(header), ...rows.map((r) => toCsvLine(header.map((h) => r[h])))].join('\n') + '\n';
    expect(out).toBe(text);
  });
});

describe('sources', () => {
  it('describes every source key used in the catalog', () => {
    expect(listUnknownSourceKeys()).toEqual([]);
  });

  it('links GSA/USSM keys to the pinned commit with the table description as title', () => {
    expect(resolveSources('GSA/USSM@919aa42a:_data/grants.json')).toEqual([
      {
        key: 'GSA/USSM@919aa42a:_data/grants.json',
        title: 'FIBF Grants Management (GRM) standards JSON - business lifecycle',
        url: `${USSM_BLOB}_data/grants.json`,
      },
    ]);
  });

  it('resolves the other kinds of keys from SOURCES.md section 2', () => {
    const [usaspending, url, unidentified] = resolveSources(
      [
        'usaspending-api@d8f567da:usaspending_api/data/authoritative_agency_list.csv',
        'https://www.cisa.gov/cdm',
        'public readme.io docs test fixture naming cBEYONData LLC and CFO Control Tower',
      ].join(';'),
    ) as [SourceRecord, SourceRecord, SourceRecord];
    expect(usaspending.title).toBe('USAspending authoritative agency list (CGAC toptier and subtier codes, names, abbreviations)');
    expect(usaspending.url).toBe(
      'https://github.com/fedspendingtransparency/usaspending-api/blob/d8f567da1bf0e54ae388c6663539c9e575f452d8/usaspending_api/data/authoritative_agency_list.csv',
    );
    expect(url).toEqual({ key: 'https://www.cisa.gov/cdm', title: "CISA 'Continuous Diagnostics and Mitigation (CDM)'", url: 'https://www.cisa.gov/cdm' });
    expect(unidentified.title).toMatch(/^readme\.io markdown-migration test fixture/);
    expect(unidentified.url).toBeNull();
  });

  it('still returns a record for keys SOURCES.md does not list', () => {
    expect(resolveSources('https://example.gov/a/b?x=1;GSA/USSM@919aa42a:_pages/x.md;some file;')).toEqual([
      { key: 'https://example.gov/a/b?x=1', title: 'example.gov/a/b', url: 'https://example.gov/a/b?x=1' },
      { key: 'GSA/USSM@919aa42a:_pages/x.md', title: 'GSA/USSM@919aa42a:_pages/x.md', url: `${USSM_BLOB}_pages/x.md` },
      { key: 'some file', title: 'some file', url: null },
    ]);
    expect(resolveSources('')).toEqual([]);
  });

  it('knows all 51 GSA/USSM files and every other source of SOURCES.md', () => {
    const keys = readCatalog().sources.knownKeys();
    expect(keys.filter((k) => k.startsWith('GSA/USSM@919aa42a:'))).toHaveLength(51);
    // Blocks with a "Source key" (74, S42-S74 added on 2026-12-04), plus the addresses of the blocks added with the
    // dated customer listings, which give only "URL:"/"URLs:" (one repeats S23's address).
    const markdown = fs.readFileSync(path.join(CATALOG_DIR, 'SOURCES.md'), 'utf8');
    const keyed = [...markdown.matchAll(/^- Source key: `([^`]+)`/gm)].map((m) => m[1]!);
    const addressed = [...markdown.matchAll(/^- URLs?: (.*)$/gm)].flatMap((m) =>
      m[1]!
        .replace(/\([^)]*\)/g, '')
        .split(';')
        .map((u) => u.trim())
        .filter((u) => u.startsWith('http')),
    );
    expect(keyed).toHaveLength(74);
    const others = new Set([...keyed, ...addressed]);
    expect(others.size).toBe(87);
    expect(keys.filter((k) => !k.startsWith('GSA/USSM@919aa42a:')).sort()).toEqual([...others].sort());
  });

  it('titles an address-only source by its heading and keeps the earlier title of a repeated address', () => {
    const [dot, nih] = resolveSources(
      'https://www.transportation.gov/briefing-room/us-department-transportation-modernizes-office-personnel-managements-financial;' +
        'https://nihrecord.nih.gov/newsletters/2005/04_08_2005/story02.htm',
    ) as [SourceRecord, SourceRecord];
    expect(dot.title).toMatch(/^DOT press release 'U\.S\. Department of Transportation modernizes/);
    expect(dot.url).toBe(dot.key);
    expect(nih.title).toBe("NIH Record 'DFAS Day Approaching Fast' (2005-04-08): HHS payroll moves to DFAS");
    // "(also ...)" mirrors are alternative copies, not keys.
    expect(
      readCatalog().sources.isKnown('https://cdn.slideserve.com/alayna/federal-financial-management-conference-shared-services-progress-through-partnerships'),
    ).toBe(false);
  });

  it('keeps a listed key that contains ";" whole when splitting a cell', () => {
    const index = parseSourcesMarkdown(
      [
        '## 2. Other sources',
        '### S01. Matrix URL',
        '- Source key: `https://a.gov/p;v=1`',
        '### S02. Old repo file',
        '- Source key: `tool@abc1234:src/x.ts`',
        '- Location: repo acme/tool, path src/x.ts, commit abc1234def5678abc1234def5678abc1234def56 (2020)',
      ].join('\n'),
    );
    expect(index.splitCell('https://a.gov/p;v=1;https://b.gov')).toEqual(['https://a.gov/p;v=1', 'https://b.gov']);
    expect(index.resolve('https://a.gov/p;v=1').title).toBe('Matrix URL');
    expect(index.resolve('tool@abc1234:src/x.ts').url).toBe('https://github.com/acme/tool/blob/abc1234def5678abc1234def5678abc1234def56/src/x.ts');
  });
});

describe('catalog rows', () => {
  it('reads the expected number of rows', () => {
    expect(readAgencies()).toHaveLength(rowCount('agencies.csv'));
    expect(readQsmos()).toHaveLength(5);
    expect(readProviders()).toHaveLength(rowCount('providers.csv'));
    expect(readOfferings()).toHaveLength(rowCount('offerings.csv'));
    expect(readOfferingCustomers()).toHaveLength(rowCount('offering_customers.csv'));
    // 24 CFO Act agencies + 34 others that appear as customers or providers (reference catalog README).
    expect(readAgencies()).toHaveLength(58);
    const all = QSMO_DOMAINS.flatMap((d) => readCapabilities(d));
    expect(all.filter((c) => c.level === 'FUNCTION')).toHaveLength(66);
    expect(all.filter((c) => c.level === 'ACTIVITY')).toHaveLength(242);
  });

  it('keeps CGAC codes as text and maps empty cells to null', () => {
    const agencies = new Map(readAgencies().map((a) => [a.code, a]));
    expect(agencies.get('020')).toMatchObject({ abbreviation: 'TREAS', cfoAct: true });
    expect(agencies.get('075')).toMatchObject({ name: 'Department of Health and Human Services', abbreviation: 'HHS', cfoAct: true, notes: null });
    expect(agencies.get('471')?.abbreviation).toBeNull();
    expect(readAgencies().filter((a) => a.cfoAct)).toHaveLength(24);
    expect(agencies.get('075')?.sources.map((s) => s.key)).toEqual([
      'usaspending-api@d8f567da:usaspending_api/data/authoritative_agency_list.csv',
      'https://govinfo.gov/content/pkg/USCODE-2011-title31/html/USCODE-2011-title31-subtitleI-chap9-sec901.htm',
    ]);
  });

  it('reads the QSMOs with their FIBF service areas', () => {
    const qsmos = readQsmos();
    expect(Object.fromEntries(qsmos.map((q) => [q.domain, [q.fibfServiceArea, q.leadAgencyCode]]))).toEqual({
      FINANCIAL_MANAGEMENT: ['FFM', '020'],
      HUMAN_RESOURCES: ['HCM', '024'],
      GRANTS_MANAGEMENT: ['GRM', '075'],
      CYBERSECURITY: ['CYB', '070'],
      ACQUISITION: ['ACQ', '047'],
    });
    const hr = qsmos.find((q) => q.domain === 'HUMAN_RESOURCES')!;
    expect(hr.leadOffice).toBeNull();
    expect(hr.scope).toEqual([
      'Talent Acquisition',
      'Talent Development',
      'Employee Performance Management',
      'Benefits Management',
      'Compensation Management',
      'Work Schedule',
      'Leave Management',
    ]);
  });

  it('gives each QSMO its designation phase, held to its row and citing only its sources', () => {
    const qsmos = readQsmos();
    expect(Object.fromEntries(qsmos.map((q) => [q.domain, [q.designation.phase, q.designation.since]]))).toEqual({
      FINANCIAL_MANAGEMENT: ['DESIGNATED', '2020-06-29'],
      HUMAN_RESOURCES: ['DESIGNATED', '2020-06-29'],
      GRANTS_MANAGEMENT: ['DESIGNATED', '2021-01-11'],
      CYBERSECURITY: ['DESIGNATED', '2020-04-27'],
      ACQUISITION: ['PRE_DESIGNATED', '2026-04-29'],
    });
    const sources = fs.readFileSync(path.join(CATALOG_DIR, 'SOURCES.md'), 'utf8');
    for (const q of qsmos) {
      if (q.designation.phase === 'DESIGNATED') expect(q.designation.since).toBe(q.designatedOn);
      expect(q.designation.sources.length).toBeGreaterThan(0);
      for (const s of q.designation.sources) expect(q.sources.map((r) => r.key)).toContain(s.key);
      // The card each phase rests on states it in the words SOURCES.md records.
      const card = q.designation.sources[0]!.key.replace('GSA/USSM@919aa42a:', '');
      const line = sources.split('\n').find((l) => l.startsWith(`| \`${card}\``))!;
      expect(line).toContain(q.designation.phase === 'DESIGNATED' ? '(Formally Designated' : '(Pre-designated');
    }
    const acq = qsmos.find((q) => q.domain === 'ACQUISITION')!;
    expect(acq).toMatchObject({
      leadAgencyCode: '047',
      designatedOn: null,
      marketplaceName: null,
      leadOffice: null,
      scope: ['Acquisition Systems', 'Assisted Acquisition'],
    });
  });

  it('refuses a designation the row contradicts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-designation-'));
    try {
      for (const f of ['SOURCES.md', 'qsmos.csv']) fs.copyFileSync(path.join(CATALOG_DIR, f), path.join(dir, f));
      const csv = fs.readFileSync(path.join(dir, 'qsmos.csv'), 'utf8');
      fs.writeFileSync(
        path.join(dir, 'qsmos.csv'),
        csv.replace(
          'ACQUISITION,Acquisition QSMO,Acquisition Quality Service Management Office,047,,,',
          'ACQUISITION,Acquisition QSMO,Acquisition Quality Service Management Office,047,,2026-06-01,',
        ),
      );
      expect(() => readCatalog({ catalogDir: dir }).readQsmos()).toThrow(
        /designated_on: 2026-06-01 is set, but shared\/catalog\/src\/designations\.ts says ACQUISITION is only pre-designated/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads providers and offerings with their lists and enums', () => {
    const providers = readProviders();
    expect(providers.filter((p) => p.sector === 'FEDERAL')).toHaveLength(15);
    expect(providers.find((p) => p.id === 'treasury-arc')).toMatchObject({
      parentAgencyCode: '020',
      domains: ['FINANCIAL_MANAGEMENT', 'HUMAN_RESOURCES', 'ACQUISITION'],
      legacyDesignatedDomains: ['FINANCIAL_MANAGEMENT', 'HUMAN_RESOURCES'],
      verification: 'CONFIRMED',
    });

    const counts = (domain: QsmoDomain): number => readOfferings(domain).length;
    expect([counts('GRANTS_MANAGEMENT'), counts('CYBERSECURITY'), counts('HUMAN_RESOURCES'), counts('FINANCIAL_MANAGEMENT'), counts('ACQUISITION')]).toEqual([
      15, 7, 8, 30, 5,
    ]);
    expect(readOfferings().filter((o) => o.verification === 'CONFIRMED')).toHaveLength(27);

    const era = readOfferings('GRANTS_MANAGEMENT').find((o) => o.id === 'grm-era')!;
    expect(era).toMatchObject({ providerId: 'hhs-nih', shelf: 'FEDERAL', partnerIds: [], launchedOn: null, website: 'https://era.nih.gov' });
    expect(era.capabilityCodes).toHaveLength(16);
    expect(era.capabilityCodes[0]).toBe('GRM.010.010');
    expect(readOfferings().find((o) => o.id === 'hr-treasury-arc-hr-services')?.partnerIds).toEqual(['treasury-tssc']);
  });

  it('links every offering to existing providers and partners', () => {
    const providerIds = new Set(readProviders().map((p) => p.id));
    for (const o of readOfferings()) {
      expect([o.id, providerIds.has(o.providerId)]).toEqual([o.id, true]);
      for (const partner of o.partnerIds) expect([o.id, partner, providerIds.has(partner)]).toEqual([o.id, partner, true]);
    }
  });

  it("lists only codes of the offering's own FIBF tree", () => {
    let checked = 0;
    for (const domain of QSMO_DOMAINS) {
      const activities = new Set(
        readCapabilities(domain)
          .filter((c) => c.level === 'ACTIVITY')
          .map((c) => c.code),
      );
      for (const o of readOfferings(domain)) {
        for (const code of o.capabilityCodes) {
          expect([o.id, code, activities.has(code)]).toEqual([o.id, code, true]);
          checked++;
        }
      }
    }
    // eRA and GrantSolutions 16 each, ASAP and PMS 5 each, IBC and PSC CAS 1 each (NOTES §5).
    expect(checked).toBe(44);
  });

  it('links every customer row to an existing agency and offering', () => {
    const agencies = new Set(readAgencies().map((a) => a.code));
    const offerings = new Set(readOfferings().map((o) => o.id));
    for (const c of readOfferingCustomers()) {
      expect([c.offeringId, c.agencyCode, agencies.has(c.agencyCode), offerings.has(c.offeringId)]).toEqual([c.offeringId, c.agencyCode, true, true]);
    }
  });

  it('records HHS (075) as a customer of GrantSolutions, eRA and PMS', () => {
    const hhs = readOfferingCustomers().filter((c) => c.agencyCode === '075');
    expect(hhs.map((c) => c.offeringId)).toEqual(expect.arrayContaining(['grm-grantsolutions', 'grm-era', 'grm-pms']));
    expect(hhs.find((c) => c.offeringId === 'grm-pms')?.asOf).toBe('FY2023');
    const subset = readOfferingCustomers(new Set(['grm-era']));
    expect(subset.map((c) => c.agencyCode).sort()).toEqual(['012', '013', '075']);
  });
});

describe('FIBF capability trees', () => {
  const trees = Object.fromEntries(QSMO_DOMAINS.map((d) => [d, readCapabilities(d)])) as Record<QsmoDomain, CapabilityRecord[]>;
  const levelCounts = (records: CapabilityRecord[]): Record<string, number> => {
    const counts: Record<string, number> = { FUNCTION: 0, ACTIVITY: 0, CAPABILITY: 0 };
    for (const r of records) counts[r.level]! += 1;
    return counts;
  };

  it('has the published number of records per level and domain', () => {
    expect(levelCounts(trees.FINANCIAL_MANAGEMENT)).toEqual({ FUNCTION: 11, ACTIVITY: 51, CAPABILITY: 89 });
    // 1556 entries in the 11 hr_*.json files, less one conflicting duplicate.
    expect(levelCounts(trees.HUMAN_RESOURCES)).toEqual({ FUNCTION: 34, ACTIVITY: 123, CAPABILITY: 1555 });
    expect(levelCounts(trees.GRANTS_MANAGEMENT)).toEqual({ FUNCTION: 6, ACTIVITY: 16, CAPABILITY: 750 });
    // soc.json 305 + cvd.json 52 (its 2 empty entries skipped).
    expect(levelCounts(trees.CYBERSECURITY)).toEqual({ FUNCTION: 10, ACTIVITY: 29, CAPABILITY: 357 });
    for (const d of QSMO_DOMAINS) for (const n of Object.values(levelCounts(trees[d]))) expect(n).toBeGreaterThan(0);
  });

  it('has unique codes within each domain', () => {
    for (const d of QSMO_DOMAINS) expect(new Set(trees[d].map((r) => r.code)).size).toBe(trees[d].length);
  });

  it('attaches every record to an existing parent of the level above', () => {
    const unresolved = new Set(
      readCapabilityAnomalies()
        .filter((a) => a.kind === 'UNRESOLVED_ACTIVITY')
        .flatMap((a) => a.codes),
    );
    for (const d of QSMO_DOMAINS) {
      const byCode = new Map(trees[d].map((r) => [r.code, r]));
      for (const r of trees[d]) {
        const parent = r.parentCode === null ? null : byCode.get(r.parentCode);
        const expected = r.level === 'FUNCTION' ? null : r.level === 'ACTIVITY' || unresolved.has(r.code) ? 'FUNCTION' : 'ACTIVITY';
        expect([r.code, parent === null ? null : parent?.level]).toEqual([r.code, expected]);
      }
    }
    expect(unresolved.size).toBe(33);
  });

  it('gives GRM.030 its two activities as children', () => {
    const children = trees.GRANTS_MANAGEMENT.filter((r) => r.parentCode === 'GRM.030');
    expect(children.map((r) => [r.code, r.level, r.name])).toEqual([
      ['GRM.030.010', 'ACTIVITY', 'Grant Award Issuance'],
      ['GRM.030.020', 'ACTIVITY', 'Grant Award Payment Processing'],
    ]);
    expect(trees.GRANTS_MANAGEMENT.filter((r) => r.parentCode === 'GRM.030.010').length).toBeGreaterThan(0);
  });

  it('reads functions with status and sub-area, activities with sub-area from their standard', () => {
    const fm = new Map(trees.FINANCIAL_MANAGEMENT.map((r) => [r.code, r]));
    expect(fm.get('FFM.050')).toMatchObject({ name: '[Retired]', status: 'RETIRED', subArea: null, parentCode: null });
    expect(trees.FINANCIAL_MANAGEMENT.filter((r) => r.parentCode === 'FFM.050')).toEqual([]);

    const cyb = new Map(trees.CYBERSECURITY.map((r) => [r.code, r]));
    expect(cyb.get('CYB.060')?.subArea).toBe('Security Operations Center;Coordinated Vulnerability Disclosure');
    expect(cyb.get('CYB.060.010')?.subArea).toBe('Security Operations Center');
    expect(cyb.get('CYB.060.030')?.subArea).toBe('Security Operations Center;Coordinated Vulnerability Disclosure');
    expect(cyb.get('CYB.060.030')?.sources.map((s) => s.key)).toEqual(['GSA/USSM@919aa42a:_data/soc.json', 'GSA/USSM@919aa42a:_data/cvd.json']);
    const hr = new Map(trees.HUMAN_RESOURCES.map((r) => [r.code, r]));
    expect(hr.get('HCM.A5-2.010')).toMatchObject({ level: 'ACTIVITY', parentCode: 'HCM.A5-2', subArea: 'Compensation and Benefits' });
  });

  it('maps capability fields from both spellings of the JSON keys', () => {
    const fm = trees.FINANCIAL_MANAGEMENT.find((r) => r.code === 'FFM.010.010.011')!;
    expect(fm).toMatchObject({ level: 'CAPABILITY', parentCode: 'FFM.010.010', kind: 'INPUT', kinds: ['INPUT'], subArea: null });
    expect(fm.name).toMatch(/^Provide budgetary resource reporting attributes/);
    expect(fm.sources).toEqual([
      {
        key: 'GSA/USSM@919aa42a:_data/fm.json',
        title: 'FIBF Financial Management (FFM) standards JSON - business lifecycle',
        url: `${USSM_BLOB}_data/fm.json`,
      },
    ]);

    // The one grants.json entry spelled "(I) input/(P) process/(O) output".
    const grm = trees.GRANTS_MANAGEMENT.find((r) => r.code === 'GRM.060.020.722')!;
    expect(grm).toMatchObject({ kind: 'OUTPUT', authoritativeReference: '2 CFR 200.513; 2 CFR Appendix XI to Part 200, Compliance Supplement' });

    const soc = trees.CYBERSECURITY.find((r) => r.code === 'CYB.090.010.100')!;
    expect(soc).toMatchObject({ kind: 'PROCESS', subArea: 'Security Operations Center' });
    // "Authoritative Source" with embedded line breaks and tabs, collapsed.
    expect(soc.authoritativeReference).toBe('U.S.C Title 44, Chapter 35; SP 800-53 Rev. 4 SA-11(4)');

    const combined = trees.HUMAN_RESOURCES.find((r) => r.code === 'HCM.A7-1.010.010')!;
    expect(combined).toMatchObject({ kind: null, kinds: ['INPUT', 'PROCESS'] });
  });

  it('counts single and combined I/P/O kinds as published', () => {
    const kindCounts = (d: QsmoDomain): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of trees[d].filter((x) => x.level === 'CAPABILITY')) {
        const k = (r.kinds ?? []).map((x) => x[0]).join('/') || '-';
        out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    };
    expect(kindCounts('FINANCIAL_MANAGEMENT')).toEqual({ I: 26, P: 31, O: 32 });
    expect(kindCounts('GRANTS_MANAGEMENT')).toEqual({ I: 123, P: 273, O: 354 });
    expect(kindCounts('CYBERSECURITY')).toEqual({ I: 83, P: 159, O: 115 });
    expect(kindCounts('HUMAN_RESOURCES')).toEqual({
      I: 176,
      P: 955,
      O: 212,
      'I/P': 69,
      'P/O': 111,
      'O/P': 10,
      'I/O': 9,
      'I/P/O': 12,
      '-': 1,
    });
  });

  it('reports exactly the documented anomalies of the published standards', () => {
    const summary = readCapabilityAnomalies().map((a) => [
      a.domain,
      a.kind,
      a.source.replace('GSA/USSM@919aa42a:_data/', ''),
      a.codes.length,
      a.codes[0] ?? null,
      a.parentCode,
    ]);
    expect(summary).toEqual([
      // hr_acquisition.json: I/P/O cell empty.
      ['HUMAN_RESOURCES', 'MISSING_KIND', 'hr_acquisition.json', 1, 'HCM.A2-4.020.110', null],
      // hr_benefits.json publishes HCM.A5-2.030.010 twice with different statements
      // (the sequence 010, 010, 030 suggests the second was meant as .020).
      ['HUMAN_RESOURCES', 'DUPLICATE_CONFLICT', 'hr_benefits.json', 1, 'HCM.A5-2.030.010', null],
      // "Position Classification or ..." where the lifecycle says "and".
      ['HUMAN_RESOURCES', 'ACTIVITY_NAME_VARIANT', 'hr_hcs.json', 14, 'HCM.A1-3.010.010', 'HCM.A1-3.010'],
      ['HUMAN_RESOURCES', 'ACTIVITY_NAME_VARIANT', 'hr_hcs.json', 14, 'HCM.A1-3.050.010', 'HCM.A1-3.050'],
      // "I/P/0": digit zero for letter O.
      ['HUMAN_RESOURCES', 'KIND_NORMALIZED', 'hr_labor.json', 1, 'HCM.A8-2.010.010', null],
      // soc.json's capability table numbers CYB.090 and CYB.100 differently from
      // its own lifecycle; each entry names its activity, which matches exactly one
      // lifecycle activity.
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 2, 'CYB.090.010.100', 'CYB.080.020'],
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 1, 'CYB.090.020.100', 'CYB.080.030'],
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 26, 'CYB.090.030.100', 'CYB.090.010'],
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 8, 'CYB.090.040.100', 'CYB.090.020'],
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 19, 'CYB.090.050.100', 'CYB.090.030'],
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 10, 'CYB.100.040.100', 'CYB.100.050'],
      ['CYBERSECURITY', 'PARENT_REMAPPED_BY_NAME', 'soc.json', 18, 'CYB.100.050.100', 'CYB.100.040'],
      // "Manage Coordinated Vulnerability Disclosure" vs the lifecycle's "Coordinated Vulnerability Disclosure".
      ['CYBERSECURITY', 'ACTIVITY_NAME_VARIANT', 'cvd.json', 19, 'CYB.060.030.100', 'CYB.060.030'],
      ['CYBERSECURITY', 'EMPTY_ENTRY', 'cvd.json', 0, null, null],
      // cvd.json's capability table has activities CYB.060.031 and .032 that its
      // lifecycle (and so fibf_activities.csv) does not: kept under function CYB.060.
      ['CYBERSECURITY', 'UNRESOLVED_ACTIVITY', 'cvd.json', 11, 'CYB.060.031.100', 'CYB.060'],
      ['CYBERSECURITY', 'UNRESOLVED_ACTIVITY', 'cvd.json', 22, 'CYB.060.032.100', 'CYB.060'],
    ]);
    const empty = readCapabilityAnomalies('CYBERSECURITY').find((a) => a.kind === 'EMPTY_ENTRY')!;
    expect(empty.positions).toEqual([19, 31]);
    const dup = readCapabilityAnomalies('HUMAN_RESOURCES').find((a) => a.kind === 'DUPLICATE_CONFLICT')!;
    expect(dup.detail).toContain('Establish appropriate controls to ensure that employees are provided with only the time and leave options');
    const kept = trees.HUMAN_RESOURCES.find((r) => r.code === 'HCM.A5-2.030.010')!;
    expect(kept.name).toMatch(/^Provide the ability for applying the telework agreement/);
  });

  it('resolves the CYB.090/CYB.100 renumbering by activity name', () => {
    const byCode = new Map(trees.CYBERSECURITY.map((r) => [r.code, r]));
    expect(byCode.get('CYB.090.040.100')?.parentCode).toBe('CYB.090.020');
    expect(byCode.get(byCode.get('CYB.090.040.100')!.parentCode!)?.name).toBe('Penetration Testing');
    expect(byCode.get(byCode.get('CYB.100.040.100')!.parentCode!)?.name).toBe('Event Archive');
    expect(byCode.get('CYB.060.031.100')).toMatchObject({ parentCode: 'CYB.060', subArea: 'Coordinated Vulnerability Disclosure', kind: 'INPUT' });
  });
});

describe('FIBF normalization and merging', () => {
  it('normalizes published id quirks', () => {
    expect(normalizeFibfId('HCM.A5-1.010\u00a0')).toBe('HCM.A5-1.010');
    expect(normalizeFibfId('HCM-A5-2.010')).toBe('HCM.A5-2.010');
    expect(normalizeFibfId(' HCM.A5\u20131.010 ')).toBe('HCM.A5-1.010');
    expect(normalizeFibfId('GRM.010.\u2009010.011.')).toBe('GRM.010.010.011');
  });

  const resolve = (key: string): SourceRecord => ({ key, title: key, url: null });
  const lifecycle: CapabilityRecord[] = [
    {
      code: 'CYB.060',
      name: 'PROTECT',
      description: null,
      level: 'FUNCTION',
      domain: 'CYBERSECURITY',
      parentCode: null,
      subArea: null,
      status: 'ACTIVE',
      kind: null,
      authoritativeReference: null,
      sources: [],
    },
    {
      code: 'CYB.060.030',
      name: 'Coordinated Vulnerability Disclosure',
      description: null,
      level: 'ACTIVITY',
      domain: 'CYBERSECURITY',
      parentCode: 'CYB.060',
      subArea: null,
      status: null,
      kind: null,
      authoritativeReference: null,
      sources: [],
    },
  ];
  const entry = (id: string, statement: string, kind = 'P'): Record<string, string> => ({
    'Capability ID': id,
    Function: 'CYB.060 PROTECT',
    'Activity Name': 'CYB.060.030 - Coordinated Vulnerability Disclosure',
    'Input/Output/Process': kind,
    'Business Capability Statement': statement,
    'Authoritative Reference': 'CSF PR.IP-12',
  });

  it('merges identical duplicates across files and keeps the first of conflicting ones', () => {
    const tree = buildCapabilityTree(
      'CYBERSECURITY',
      'CYB',
      lifecycle,
      [
        { source: 'soc', json: { 'Sub-section': 'SOC', Business_Capabilities: [entry('CYB.060.030.100', 'Do  a\nthing'), entry('CYB.060.030.101', 'First')] } },
        { source: 'cvd', json: { Business_Capabilities: [entry('CYB.060.030.100', 'Do a thing'), entry('CYB.060.030.101', 'Second')] } },
      ],
      resolve,
    );
    const caps = tree.capabilities.filter((c) => c.level === 'CAPABILITY');
    expect(caps.map((c) => [c.code, c.name, c.sources.map((s) => s.key), c.subArea])).toEqual([
      ['CYB.060.030.100', 'Do a thing', ['soc', 'cvd'], 'SOC'],
      ['CYB.060.030.101', 'First', ['soc'], 'SOC'],
    ]);
    expect(tree.anomalies.map((a) => [a.kind, a.source, a.codes])).toEqual([['DUPLICATE_CONFLICT', 'cvd', ['CYB.060.030.101']]]);
  });

  it('normalizes capability ids and kinds, recording what it changed', () => {
    const tree = buildCapabilityTree(
      'CYBERSECURITY',
      'CYB',
      lifecycle,
      [{ source: 'f', json: { Business_Capabilities: [entry('CYB.060.030.\u00a0200', 'x', 'Input'), entry('CYB-060.030.201.', 'y', 'i/p/0 ')] } }],
      resolve,
    );
    expect(tree.capabilities.filter((c) => c.level === 'CAPABILITY').map((c) => [c.code, c.parentCode, c.kind, c.kinds])).toEqual([
      ['CYB.060.030.200', 'CYB.060.030', 'INPUT', ['INPUT']],
      ['CYB.060.030.201', 'CYB.060.030', null, ['INPUT', 'PROCESS', 'OUTPUT']],
    ]);
    expect(tree.anomalies.map((a) => [a.kind, a.codes])).toEqual([
      ['ID_NORMALIZED', ['CYB.060.030.200']],
      ['ID_NORMALIZED', ['CYB.060.030.201']],
      ['KIND_NORMALIZED', ['CYB.060.030.201']],
    ]);
  });

  it('rejects a standards file without a Business_Capabilities array', () => {
    expect(() => buildCapabilityTree('CYBERSECURITY', 'CYB', lifecycle, [{ source: 'broken', json: {} }], resolve)).toThrow(
      'broken: Business_Capabilities is not an array',
    );
  });
});

describe('validation of hand-edited CSVs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-test-'));
    for (const f of [...CSV_FILES, 'SOURCES.md']) fs.copyFileSync(path.join(CATALOG_DIR, f), path.join(dir, f));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const edit = (file: string, from: string, to: string): void => {
    const p = path.join(dir, file);
    fs.writeFileSync(p, fs.readFileSync(path.join(CATALOG_DIR, file), 'utf8').replace(from, to));
  };

  it('names file, row and column of a bad enum value', () => {
    edit('offerings.csv', 'grm-era,GRANTS_MANAGEMENT,eRA,Award Management,FEDERAL,', 'grm-era,GRANTS_MANAGEMENT,eRA,Award Management,SHELF,');
    const reader = readCatalog({ catalogDir: dir });
    expect(() => reader.readOfferings()).toThrow(CatalogDataError);
    expect(() => reader.readOfferings()).toThrow(
      'offerings.csv row grm-era (line 2), column shelf: invalid value "SHELF"; expected one of FEDERAL, COMMERCIAL, MANDATORY',
    );
  });

  it('rejects a CGAC code that lost its leading zero', () => {
    edit('offering_customers.csv', 'grm-era,075,', 'grm-era,75,');
    expect(() => readCatalog({ catalogDir: dir }).readOfferingCustomers()).toThrow(
      'offering_customers.csv row grm-era/75 (line 2), column agency_code: invalid CGAC code "75"; expected 3 digits',
    );
  });

  it('rejects an unknown domain in a list cell', () => {
    edit(
      'providers.csv',
      'treasury-arc,Administrative Resource Center,ARC,FEDERAL,020,FINANCIAL_MANAGEMENT;',
      'treasury-arc,Administrative Resource Center,ARC,FEDERAL,020,FINANCE;',
    );
    expect(() => readCatalog({ catalogDir: dir }).readProviders()).toThrow(
      /^providers\.csv row treasury-arc \(line 2\), column domains: invalid value "FINANCE"/,
    );
  });
});
