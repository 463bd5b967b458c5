/**
 * Reading the audit trail for people: the filter from a query string (validated, errors name the
 * field), a page of entries with the profile names beside them, and the CSV export. Shared by the
 * HTML page, the JSON API and the CSV download, so they show the same thing.
 */
import type { AuditEntry, Store } from '../store/types.js'
import { AuthdockError } from '../errors.js'
import { redactSecrets } from './redact.js'
import { toCsv } from '../http/csv.js'

export const PAGE_SIZE = 50
const MAX_LIMIT = 500
/** The CSV export stops here; a bigger trail is better read from the database. */
export const CSV_MAX_ROWS = 100_000

export interface AuditFilter {
  profileId?: string
  kind?: string
  beforeId?: number
  limit: number
}

/** An entry as shown: details redacted once more (entries written before redaction existed). */
export interface AuditRow {
  id: number
  at: string
  kind: string
  actor: string | null
  profileId: string | null
  profileName: string | null
  details: Record<string, unknown>
}

const one = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** Parse `?profile=&kind=&beforeId=&limit=`; throws VALIDATION_FAILED naming the field. */
export function parseAuditFilter(query: Record<string, unknown>, options: { allowLimit?: boolean } = {}): AuditFilter {
  const fields: Record<string, string> = {}
  const profileId = one(query.profile)
  if (query.profile !== undefined && typeof query.profile !== 'string') fields.profile = 'must be given once'
  else if (profileId && profileId.length > 200) fields.profile = 'must be at most 200 characters'
  const kind = one(query.kind)
  if (query.kind !== undefined && typeof query.kind !== 'string') fields.kind = 'must be given once'
  else if (kind && !/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(kind))
    fields.kind = 'must be letters, digits, dots, - or _ (at most 64)'
  const before = one(query.beforeId)
  if (before !== undefined && !/^[1-9][0-9]{0,15}$/.test(before)) fields.beforeId = 'must be a positive whole number'
  let limit = PAGE_SIZE
  const rawLimit = options.allowLimit ? one(query.limit) : undefined
  if (rawLimit !== undefined) {
    if (!/^[0-9]{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT)
      fields.limit = `must be a whole number from 1 to ${MAX_LIMIT}`
    else limit = Number(rawLimit)
  }
  if (Object.keys(fields).length) {
    throw new AuthdockError('VALIDATION_FAILED', `Invalid audit filter: ${Object.keys(fields).join(', ')}`, { fields })
  }
  return { profileId, kind, beforeId: before ? Number(before) : undefined, limit }
}

/** Names of the profiles these entries mention only: the cost follows the page, not the profiles. */
async function profileNames(store: Pick<Store, 'profiles'>, entries: AuditEntry[]): Promise<Map<string, string>> {
  return store.profiles.names(entries.flatMap((e) => (e.profileId ? [e.profileId] : [])))
}

function toRow(e: AuditEntry, names: Map<string, string>): AuditRow {
  return {
    id: e.id,
    at: e.at.toISOString(),
    kind: e.kind,
    actor: e.actor,
    profileId: e.profileId,
    profileName: e.profileId ? (names.get(e.profileId) ?? null) : null,
    details: redactSecrets(e.details ?? {}),
  }
}

/** One page, newest first, and the `beforeId` of the next (older) page or null. */
export async function auditPage(
  store: Pick<Store, 'audit' | 'profiles'>,
  filter: AuditFilter,
): Promise<{ entries: AuditRow[]; nextBeforeId: number | null }> {
  const raw = await store.audit.list({
    profileId: filter.profileId,
    kind: filter.kind,
    beforeId: filter.beforeId,
    limit: filter.limit + 1,
  })
  const names = await profileNames(store, raw)
  const more = raw.length > filter.limit
  const entries = raw.slice(0, filter.limit).map((e) => toRow(e, names))
  return { entries, nextBeforeId: more && entries.length ? entries[entries.length - 1].id : null }
}

export const CSV_HEADER = ['id', 'at', 'kind', 'actor', 'profileId', 'profileName', 'details']

/** The filtered trail's CSV rows, newest first, read in batches (at most {@link CSV_MAX_ROWS}). */
export async function* auditCsvRows(
  store: Pick<Store, 'audit' | 'profiles'>,
  filter: Omit<AuditFilter, 'limit'>,
): AsyncGenerator<unknown[]> {
  let beforeId = filter.beforeId
  let count = 0
  while (count < CSV_MAX_ROWS) {
    const batch = await store.audit.list({
      profileId: filter.profileId,
      kind: filter.kind,
      beforeId,
      limit: Math.min(MAX_LIMIT, CSV_MAX_ROWS - count),
    })
    const names = await profileNames(store, batch)
    for (const e of batch) {
      const r = toRow(e, names)
      yield [r.id, r.at, r.kind, r.actor, r.profileId, r.profileName, JSON.stringify(r.details)]
    }
    count += batch.length
    if (batch.length < MAX_LIMIT) break
    beforeId = batch[batch.length - 1].id
  }
}

/** The whole filtered trail as CSV (newest first, at most {@link CSV_MAX_ROWS} rows). */
export async function auditCsv(
  store: Pick<Store, 'audit' | 'profiles'>,
  filter: Omit<AuditFilter, 'limit'>,
): Promise<string> {
  const rows: unknown[][] = []
  for await (const row of auditCsvRows(store, filter)) rows.push(row)
  return toCsv(CSV_HEADER, rows)
}
