/** Output shared by the commands: the plain-text table, dates and JSON as every command prints them. */
import type { CliIo } from './io.js'

/** A date as YYYY-MM-DD, or '' when there is none. */
export const day = (d: Date | null): string => (d ? d.toISOString().slice(0, 10) : '')

/** Columns padded to the widest cell, two spaces apart; the first row is the header. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  )
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2))
}

/**
 * A `list` command's output: JSON with `--json`, a line saying there is nothing, or a table with
 * one row an item.
 */
export function printList<T>(
  io: CliIo,
  list: {
    items: T[]
    json?: boolean
    /** What `--json` prints; the items themselves unless given. */
    asJson?: (items: T[]) => unknown
    empty: string
    columns: Array<[header: string, cell: (item: T) => string]>
  },
): void {
  if (list.json) printJson(io, list.asJson ? list.asJson(list.items) : list.items)
  else if (!list.items.length) io.out(list.empty)
  else {
    const rows = list.items.map((item) => list.columns.map(([, cell]) => cell(item)))
    for (const line of table([list.columns.map(([header]) => header), ...rows])) io.out(line)
  }
}
