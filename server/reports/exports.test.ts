import { neutraliseFormula, toCsv } from './exports';

describe('exports', () => {
  it('writes a cell a spreadsheet would run as a formula as text instead', () => {
    expect(neutraliseFormula('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(neutraliseFormula('+1')).toBe("'+1");
    expect(neutraliseFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(neutraliseFormula('Ada Brown')).toBe('Ada Brown');
  });

  it('quotes commas, quotes and line breaks, with a byte-order mark for spreadsheet programs', () => {
    const csv = toCsv([['Name', 'Note'], ['Brown, Ada', 'said "hi"\nthen left']]).toString('utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toContain('"Brown, Ada","said ""hi""\nthen left"\r\n');
  });
});
