/**
 * Exports of a matrix as CSV and as an Excel workbook (XLSX): the same rows as the page shows for the same
 * filter (all pages), written by maintained libraries (csv-stringify, exceljs) rather than by hand.
 * A cell that a spreadsheet would read as a formula (starting with = + - @ or a tab) is written with a leading
 * apostrophe, so an exported name can never run as a formula on the trainer's computer (CSV injection).
 */
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** CSV with a byte-order mark, so spreadsheet programs read the names' accents as UTF-8. */
export function toCsv(table: string[][]): Buffer {
  const text = stringify(table.map((row) => row.map(neutraliseFormula)), { record_delimiter: '\r\n' });
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

export async function toXlsx(table: string[][], sheetName: string): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Coproduce';
  // Sheet names: at most 31 characters and none of : \ / ? * [ ]
  const sheet = workbook.addWorksheet(sheetName.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31) || 'Report', { views: [{ state: 'frozen', xSplit: 1, ySplit: 1 }] });
  for (const row of table) sheet.addRow(row.map(neutraliseFormula));
  sheet.getRow(1).font = { bold: true };
  sheet.columns.forEach((column) => {
    column.width = 22;
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
