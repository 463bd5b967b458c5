/**
 * CSV as RFC 4180 describes it (CRLF line ends, every cell quoted, quotes doubled), with cells that
 * a spreadsheet would run as a formula neutralised: a cell starting with = + - @ TAB or CR gets a
 * leading apostrophe (OWASP "CSV injection"). The same rules as the profile export.
 */

const FORMULA_START = /^[=+\-@\t\r]/

/** One cell, quoted, formula-neutralised. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value)
  if (FORMULA_START.test(text)) text = `'${text}`
  return `"${text.replace(/"/g, '""')}"`
}

/** A whole document: a header row and the rows, each line ended by CRLF. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',') + '\r\n').join('')
}
