/**
 * The only reader of the audit trail: a page of entries with the profile names beside them, the
 * CSV rows of a filtered trail (read in batches), and the profiles the filter offers. Entries are
 * redacted when the store writes them (store/repos/audit.ts) and once more here, for entries
 * written before redaction existed.
 */
import type { AuditEntry, Profile, Store } from '../store/types.js'
import { CSV_MAX_ROWS, MAX_LIMIT, type AuditFilter, type AuditRow } from './query.js'
import { redactSecrets } from './redact.js'

/** Up to this many profiles, the filter offers each in a select. */
const PROFILE_CHOICES = 200

export const CSV_HEADER = ['id', 'at', 'kind', 'actor', 'profileId', 'profileName', 'details']

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

export class AuditService {
  constructor(private readonly store: Pick<Store, 'audit' | 'profiles'>) {}

  /** One page, newest first, and the `beforeId` of the next (older) page or null. */
  async page(filter: AuditFilter): Promise<{ entries: AuditRow[]; nextBeforeId: number | null }> {
    const raw = await this.store.audit.list({
      profileId: filter.profileId,
      kind: filter.kind,
      beforeId: filter.beforeId,
      limit: filter.limit + 1,
    })
    const names = await this.profileNames(raw)
    const more = raw.length > filter.limit
    const entries = raw.slice(0, filter.limit).map((e) => toRow(e, names))
    return { entries, nextBeforeId: more && entries.length ? entries[entries.length - 1].id : null }
  }

  /** The filtered trail's CSV rows ({@link CSV_HEADER}), newest first, at most {@link CSV_MAX_ROWS}. */
  async *csvRows(filter: Omit<AuditFilter, 'limit'>): AsyncGenerator<unknown[]> {
    let beforeId = filter.beforeId
    let count = 0
    while (count < CSV_MAX_ROWS) {
      const batch = await this.store.audit.list({
        profileId: filter.profileId,
        kind: filter.kind,
        beforeId,
        limit: Math.min(MAX_LIMIT, CSV_MAX_ROWS - count),
      })
      const names = await this.profileNames(batch)
      for (const e of batch) {
        const r = toRow(e, names)
        yield [r.id, r.at, r.kind, r.actor, r.profileId, r.profileName, JSON.stringify(r.details)]
      }
      count += batch.length
      if (batch.length < MAX_LIMIT) break
      beforeId = batch[batch.length - 1].id
    }
  }

  /**
   * The profiles the filter offers: all of them up to {@link PROFILE_CHOICES} (a select of every
   * profile would grow with them), past that only the selected one.
   */
  async profileChoices(selectedId?: string): Promise<Array<Pick<Profile, 'id' | 'name'>>> {
    const choices = await this.store.profiles.page({ pageSize: PROFILE_CHOICES })
    const profiles = choices.total <= PROFILE_CHOICES ? choices.rows.map((r) => r.profile) : []
    if (selectedId && !profiles.some((p) => p.id === selectedId)) {
      const selected = await this.store.profiles.get(selectedId)
      if (selected) profiles.unshift(selected)
    }
    return profiles.map((p) => ({ id: p.id, name: p.name }))
  }

  /** Names of the profiles these entries mention only: the cost follows the page, not the profiles. */
  private profileNames(entries: AuditEntry[]): Promise<Map<string, string>> {
    return this.store.profiles.names(entries.flatMap((e) => (e.profileId ? [e.profileId] : [])))
  }
}
