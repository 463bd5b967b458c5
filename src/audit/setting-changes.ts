/**
 * How the audit trail records the settings an administrator edits (profiles, login providers):
 * every setting's value on create and delete, only the ones that differ on update. Secrets are
 * never among the settings; dates are recorded as ISO strings, "none" as null.
 */

/** A setting as the audit entry records it. */
export function auditValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : (value ?? null)
}

/** Every listed setting of a record. */
export function auditValues<T extends object>(
  record: T,
  settings: readonly (keyof T & string)[],
): Record<string, unknown> {
  return Object.fromEntries(settings.map((f) => [f, auditValue(record[f])]))
}

/** The listed settings that differ between two versions of a record (lists and maps by content). */
export function settingChanges<T extends object>(
  before: T,
  after: T,
  settings: readonly (keyof T & string)[],
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  for (const field of settings) {
    const from = auditValue(before[field])
    const to = auditValue(after[field])
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to }
  }
  return changes
}

/** The audit details of a new record: every listed setting, and whether a secret was given (never which). */
export function creationValues<T extends object>(
  record: T,
  settings: readonly (keyof T & string)[],
  secret: string | null | undefined,
): { values: Record<string, unknown>; secretSet: 'yes' | 'no' } {
  return { values: auditValues(record, settings), secretSet: secret ? 'yes' : 'no' }
}
