/**
 * The overview as CSV. The cell rules (RFC 4180, formula neutralising) live in http/csv.ts, shared
 * with the audit export; this file only decides the columns. There is no secret column: the client
 * secret, access token and refresh token are reported as "set" or not, never as values.
 */
import type { Response } from 'express'
import { toCsv, writeCsv } from '../http/csv.js'
import type { ProfileRow } from './service.js'

const yesNo = (v: boolean) => (v ? 'yes' : 'no')

// Each column once: its header and its cell together, so the two cannot fall out of order.
const COLUMNS: Array<[header: string, cell: (row: ProfileRow) => unknown]> = [
  ['id', ({ profile: p }) => p.id],
  ['name', ({ profile: p }) => p.name],
  ['grantType', ({ profile: p }) => p.grantType],
  ['authorizationUrl', ({ profile: p }) => p.authorizationUrl],
  ['tokenUrl', ({ profile: p }) => p.tokenUrl],
  ['redirectUrl', ({ profile: p }) => p.redirectUrl],
  ['clientId', ({ profile: p }) => p.clientId],
  ['clientSecretSet', ({ profile: p }) => yesNo(p.hasClientSecret)],
  ['scope', ({ profile: p }) => p.scope],
  ['valid', ({ profile: p }) => yesNo(p.valid)],
  ['secretExpiresAt', ({ profile: p }) => p.secretExpiresAt],
  ['proxy', ({ profile: p }) => p.proxy],
  ['preset', ({ profile: p }) => p.preset],
  ['tenantId', ({ profile: p }) => p.tenantId],
  ['tokenStatus', ({ token: t }) => t?.status ?? 'not_authorized'],
  ['accessTokenPresent', ({ token: t }) => yesNo(t?.hasAccessToken ?? false)],
  ['accessTokenExpiresAt', ({ token: t }) => t?.accessTokenExpiresAt],
  ['refreshTokenPresent', ({ token: t }) => yesNo(t?.hasRefreshToken ?? false)],
  ['lastRefreshAt', ({ token: t }) => t?.lastRefreshAt],
  ['lastErrorCode', ({ token: t }) => t?.lastErrorCode],
  ['lastErrorMessage', ({ token: t }) => t?.lastErrorMessage],
  ['authorizedBy', ({ token: t }) => t?.authorizedBy],
  ['authorizedAccount', ({ token: t }) => t?.authorizedAccount],
  ['authorizedAt', ({ token: t }) => t?.authorizedAt],
  ['mailbox', ({ profile: p }) => p.mailbox],
  ['revocationUrl', ({ profile: p }) => p.revocationUrl],
]

export const CSV_HEADER = COLUMNS.map(([header]) => header)

/** The cells of one row, in {@link CSV_HEADER} order. */
const csvCells = (row: ProfileRow): unknown[] => COLUMNS.map(([, cell]) => cell(row))

/**
 * CRLF-separated rows, every cell quoted, cells starting with = + - @ TAB or CR prefixed with '.
 *
 * @example
 * res.type('text/csv').send(profilesCsv(rows)) // rows: ProfileRow[]
 */
export function profilesCsv(rows: ProfileRow[]): string {
  return toCsv(CSV_HEADER, rows.map(csvCells))
}

async function* cellsOf(rows: AsyncIterable<ProfileRow>): AsyncGenerator<unknown[]> {
  for await (const row of rows) yield csvCells(row)
}

/**
 * Send the export as it is read (batches from the store, written with backpressure), so its
 * memory does not grow with the number of profiles. `headers` are set before the first byte.
 */
export async function sendProfilesCsv(
  res: Response,
  rows: AsyncIterable<ProfileRow>,
  headers: Record<string, string>,
): Promise<void> {
  res.status(200).set({ 'Content-Type': 'text/csv; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers })
  await writeCsv(res, CSV_HEADER, cellsOf(rows))
  res.end()
}

/** The download file name, dated so several exports do not overwrite each other. */
export function csvFileName(now: number): string {
  return `oauth2-profiles-${new Date(now).toISOString().slice(0, 10)}.csv`
}
