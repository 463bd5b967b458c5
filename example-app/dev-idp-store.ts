/**
 * Storage of the dev identity provider: everything in memory until it expires, nothing evicted
 * before.
 *
 * oidc-provider's built-in memory adapter is an LRU of at most 1,000 entries, and one login takes
 * about six (interaction, session, grant, authorization code, access token, refresh token). With
 * some 170 logins in quick succession it evicted the codes and tokens of logins still under way, and
 * their token requests failed (invalid_grant: authdock's OIDC_TOKEN_ENDPOINT_FAILED) — see
 * test/production/login-burst.test.ts. Development only, like the rest of the dev IdP: a real
 * provider keeps this in a database.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider'

/** Models whose entries belong to a grant (revoked together with it). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
])
/** Expired entries are swept at most this often (on a write), so no timer is needed. */
const SWEEP_EVERY_MS = 60_000

export function devIdpAdapter(): AdapterFactory {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>()
  const sessionByUid = new Map<string, string>()
  const keysByUserCode = new Map<string, string>()
  const grantMembers = new Map<string, Set<string>>()
  let nextSweep = Date.now() + SWEEP_EVERY_MS

  function remove(key: string): void {
    const entry = entries.get(key)
    if (!entry) return
    entries.delete(key)
    const { uid, userCode, grantId } = entry.payload
    if (uid && sessionByUid.get(uid) === key) sessionByUid.delete(uid)
    if (userCode && keysByUserCode.get(userCode) === key) keysByUserCode.delete(userCode)
    const members = grantId ? grantMembers.get(grantId) : undefined
    if (members?.delete(key) && members.size === 0) grantMembers.delete(grantId!)
  }

  function live(key: string | undefined): AdapterPayload | undefined {
    const entry = key === undefined ? undefined : entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt > Date.now()) return entry.payload
    remove(key!)
    return undefined
  }

  function sweep(): void {
    const now = Date.now()
    if (now < nextSweep) return
    nextSweep = now + SWEEP_EVERY_MS
    for (const [key, entry] of entries) if (entry.expiresAt <= now) remove(key)
  }

  return (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`
    return {
      async upsert(id, payload, expiresIn) {
        sweep()
        const key = keyOf(id)
        remove(key)
        entries.set(key, {
          payload,
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity,
        })
        if (model === 'Session' && payload.uid) sessionByUid.set(payload.uid, key)
        if (payload.userCode) keysByUserCode.set(payload.userCode, key)
        if (GRANTABLE.has(model) && payload.grantId) {
          const members = grantMembers.get(payload.grantId) ?? new Set<string>()
          grantMembers.set(payload.grantId, members.add(key))
        }
      },
      async find(id) {
        return live(keyOf(id))
      },
      async findByUid(uid) {
        return live(sessionByUid.get(uid))
      },
      async findByUserCode(userCode) {
        return live(keysByUserCode.get(userCode))
      },
      async consume(id) {
        const payload = live(keyOf(id))
        if (payload) payload.consumed = Math.floor(Date.now() / 1000)
      },
      async destroy(id) {
        remove(keyOf(id))
      },
      async revokeByGrantId(grantId) {
        for (const key of [...(grantMembers.get(grantId) ?? [])]) remove(key)
        grantMembers.delete(grantId)
      },
    }
  }
}
