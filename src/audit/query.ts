/**
 * The audit filter from a query string (validated, errors name the field) and the shape of an
 * entry as people see it. Shared by the HTML page, the JSON API and the CSV download, so they
 * show the same thing; {@link AuditService} reads the entries.
 */
import { AuthdockError } from '../errors.js'
import { fieldMessage } from '../http/i18n.js'

export const PAGE_SIZE = 50
export const MAX_LIMIT = 500
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
  if (query.profile !== undefined && typeof query.profile !== 'string') fields.profile = fieldMessage('givenOnce')
  else if (profileId && profileId.length > 200) fields.profile = fieldMessage('tooLong', { max: 200 })
  const kind = one(query.kind)
  if (query.kind !== undefined && typeof query.kind !== 'string') fields.kind = fieldMessage('givenOnce')
  else if (kind && !/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(kind)) fields.kind = fieldMessage('auditKind')
  const before = one(query.beforeId)
  if (before !== undefined && !/^[1-9][0-9]{0,15}$/.test(before)) fields.beforeId = fieldMessage('positiveWholeNumber')
  let limit = PAGE_SIZE
  const rawLimit = options.allowLimit ? one(query.limit) : undefined
  if (rawLimit !== undefined) {
    if (!/^[0-9]{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT)
      fields.limit = fieldMessage('wholeNumberRange', { min: 1, max: MAX_LIMIT })
    else limit = Number(rawLimit)
  }
  if (Object.keys(fields).length) {
    throw new AuthdockError('VALIDATION_FAILED', `Invalid audit filter: ${Object.keys(fields).join(', ')}`, { fields })
  }
  return { profileId, kind, beforeId: before ? Number(before) : undefined, limit }
}
