/**
 * CSV as RFC 4180 describes it (CRLF line ends, every cell quoted, quotes doubled), with cells that
 * a spreadsheet would run as a formula neutralised: a cell starting with = + - @ TAB or CR gets a
 * leading apostrophe (OWASP "CSV injection"). The same rules as the profile export.
 */
import type { Writable } from 'node:stream'

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

/** One line: the cells joined, CRLF ended. */
export function csvLine(row: unknown[]): string {
  return row.map(csvCell).join(',') + '\r\n'
}

/**
 * Write a header and the rows of `rows` to `out` as they come, waiting for 'drain' whenever `out`
 * is full: memory holds what the source batches, not the whole export. Lines are gathered into
 * chunks of about 64 KiB so a large export is not one write per row. Stops early when `out` closes
 * (the client went away). Does not end `out`.
 */
export async function writeCsv(out: Writable, header: string[], rows: AsyncIterable<unknown[]>): Promise<void> {
  let chunk = csvLine(header)
  const flush = async () => {
    const ok = out.write(chunk)
    chunk = ''
    if (!ok && !out.destroyed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done)
          out.off('close', done)
          resolve()
        }
        out.on('drain', done)
        out.on('close', done)
      })
    }
  }
  for await (const row of rows) {
    if (out.destroyed) return
    chunk += csvLine(row)
    if (chunk.length >= 65_536) await flush()
  }
  if (chunk && !out.destroyed) await flush()
}
