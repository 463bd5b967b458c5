/**
 * The overview as CSV. The cell rules (RFC 4180, formula neutralising) live in http/csv.ts, shared
 * with the audit export; this file only decides the columns. There is no secret column: the client
 * secret, access token and refresh token are reported as "set" or not, never as values.
 */
import type { Response } from 'express'
import { toCsv, writeCsv } from '../http/csv.js'
import type { ProfileRow } from './service.js'

const yesNo = (v: boolean) => (v ? 'yes' : 'no')

export const CSV_HEADER = [
  'id',
  'name',
  'grantType',
  'authorizationUrl',
  'tokenUrl',
  'redirectUrl',
  'clientId',
  'clientSecretSet',
  'scope',
  'valid',
  'secretExpiresAt',
  'proxy',
  'preset',
  'tenantId',
  'tokenStatus',
  'accessTokenPresent',
  'accessTokenExpiresAt',
  'refreshTokenPresent',
  'lastRefreshAt',
  'lastErrorCode',
  'lastErrorMessage',
  'authorizedBy',
  'authorizedAccount',
  'authorizedAt',
  'mailbox',
  'revocationUrl',
]

/** The cells of one row, in {@link CSV_HEADER} order. */
function csvCells({ profile: p, token: t }: ProfileRow): unknown[] {
  return [
    p.id,
    p.name,
    p.grantType,
    p.authorizationUrl,
    p.tokenUrl,
    p.redirectUrl,
    p.clientId,
    yesNo(p.hasClientSecret),
    p.scope,
    yesNo(p.valid),
    p.secretExpiresAt,
    p.proxy,
    p.preset,
    p.tenantId,
    t?.status ?? 'not_authorized',
    yesNo(t?.hasAccessToken ?? false),
    t?.accessTokenExpiresAt,
    yesNo(t?.hasRefreshToken ?? false),
    t?.lastRefreshAt,
    t?.lastErrorCode,
    t?.lastErrorMessage,
    t?.authorizedBy,
    t?.authorizedAccount,
    t?.authorizedAt,
    p.mailbox,
    p.revocationUrl,
  ]
}

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
