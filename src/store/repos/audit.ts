/**
 * The audit trail: append-only, newest first, filtered by profile and kind, paged by id. Every
 * entry's details are redacted here, on the way in: whoever writes (a service, the login, a token
 * worker, the CLI), no secret reaches the table.
 */
import { redactSecrets } from '../../audit/redact.js'
import type { Db } from '../db.js'
import { toAuditEntry } from '../rows.js'
import type { Store } from '../types.js'

export const AUDIT_DEFAULT_LIMIT = 100
export const AUDIT_MAX_LIMIT = 1000

export function auditRepo(db: Db, now: () => number): Store['audit'] {
  return {
    async add(entry) {
      await db.run('INSERT INTO audit (at, kind, actor, profile_id, details) VALUES (?, ?, ?, ?, ?)', [
        now(),
        entry.kind,
        entry.actor,
        entry.profileId ?? null,
        JSON.stringify(redactSecrets(entry.details ?? {})),
      ])
    },
    async list(filter = {}) {
      const where: string[] = []
      const params: unknown[] = []
      if (filter.profileId !== undefined) {
        where.push('profile_id = ?')
        params.push(filter.profileId)
      }
      if (filter.kind !== undefined) {
        where.push('kind = ?')
        params.push(filter.kind)
      }
      if (filter.beforeId !== undefined) {
        where.push('id < ?')
        params.push(filter.beforeId)
      }
      const requested = Math.trunc(filter.limit ?? AUDIT_DEFAULT_LIMIT)
      const limit = Math.min(Math.max(Number.isFinite(requested) ? requested : AUDIT_DEFAULT_LIMIT, 1), AUDIT_MAX_LIMIT)
      const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`
      return (await db.all(sql, params)).map(toAuditEntry)
    },
    pruneOlderThan: (date) => db.run('DELETE FROM audit WHERE at < ?', [date.getTime()]),
  }
}
