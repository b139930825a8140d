import { parseCsv, restoreFormula } from '@qsmo/catalog/csv';
import { barsOf, defaultLabel, labelColumns, numericColumns, sortRows, tableCsv, tableOf, type ResultTable } from '../ide/results';

/** The IDE's table, sort, download and chart, without a browser (the browser test clicks through them on the real graph). */
const table: ResultTable = {
  headers: ['code', 'name', 'count', 'tags'],
  rows: [
    ['b', 'Item 10', 3, ['x']],
    ['a', 'item 2', null, []],
    ['c', '=HYPERLINK("x")', 12, ['y', 'z']],
    ['d', 'Item 1', 3, null],
  ],
};

test('sorting: natural order ignoring case, numbers as numbers, empty cells last both ways, ties in the graph order', () => {
  expect(sortRows(table.rows, 1, 'ascending').map((r) => r[1])).toEqual(['=HYPERLINK("x")', 'Item 1', 'item 2', 'Item 10']);
  expect(sortRows(table.rows, 2, 'ascending').map((r) => r[0])).toEqual(['b', 'd', 'c', 'a']);
  expect(sortRows(table.rows, 2, 'descending').map((r) => r[0])).toEqual(['c', 'b', 'd', 'a']);
  expect(sortRows(table.rows, 3, 'descending').map((r) => r[0])).toEqual(['c', 'b', 'a', 'd']);
});

test('the download: byte order mark, CRLF, lists joined with ;, formulas neutralized as the query command does', () => {
  const csv = tableCsv(table);
  expect(csv.startsWith('\ufeffcode,name,count,tags\r\n')).toBe(true);
  expect(csv.split('\r\n')[3]).toBe(`c,"'=HYPERLINK(""x"")",12,y;z`);
  const rows = parseCsv(csv.slice(1), 'download.csv');
  expect(rows.map((r) => restoreFormula(r.name!))).toEqual(table.rows.map((r) => r[1]));
});

test('the chart: numeric columns measure, text columns label, a "name" column first, bars largest first', () => {
  expect(numericColumns(table)).toEqual([2]);
  expect(labelColumns(table)).toEqual([0, 1]);
  expect(defaultLabel(table, labelColumns(table))).toBe(1);
  expect(barsOf(table, 2, 1)).toEqual({
    bars: [
      { label: '=HYPERLINK("x")', value: 12 },
      { label: 'Item 10', value: 3 },
      { label: 'Item 1', value: 3 },
    ],
    total: 3,
  });
  expect(barsOf(table, 2, 1, 1).bars).toHaveLength(1);
});

test('without the schema, the table is read off the data', () => {
  const t = tableOf({ qsmos: [{ domain: 'GRANTS_MANAGEMENT', offerings: [{ id: 'a', n: 1 }] }] }, undefined, undefined, null);
  expect(t).toEqual({ headers: ['domain', 'id', 'n'], rows: [['GRANTS_MANAGEMENT', 'a', 1]] });
});
