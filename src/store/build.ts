/** Assembles a Store from an adapter's Db, the keyring and the adapter's refresh lock. */
import type { Keyring } from './crypto.js'
import type { Db } from './db.js'
import { attemptsRepo, type AttemptsBackend } from './repos/attempts.js'
import { auditRepo } from './repos/audit.js'
import { credentialsRepo } from './repos/credentials.js'
import { leasesRepo } from './repos/leases.js'
import { loginProvidersRepo } from './repos/login-providers.js'
import { loginTokensRepo } from './repos/login-tokens.js'
import { profilesRepo } from './repos/profiles.js'
import { reencryptAll } from './repos/reencrypt.js'
import { sessionsRepo } from './repos/sessions.js'
import { cachedSessions } from './session-cache.js'
import { tokenIo, tokensRepo, type TokenIo } from './repos/tokens.js'
import type { Store } from './types.js'

export interface AdapterParts {
  kind: Store['kind']
  db: Db
  keys: Keyring
  now: () => number
  /** Release the connection(s); called once, however often the Store is closed. */
  close(): Promise<void>
  /** The adapter's cross-process refresh lock, given how token records are read and written. */
  refreshLock(io: TokenIo): Store['tokens']['withRefreshLock']
  /** rate-limiter-flexible on the adapter's connection (attempt counters). */
  attempts: AttemptsBackend
  /**
   * A number that moves when another connection commits (SQLite's data_version): sessions are then
   * served from memory while it stands still (session-cache.ts). Absent: every read queries.
   */
  changeVersion?: () => number
}

export function buildStore(parts: AdapterParts): Store {
  const { db, keys, now } = parts
  const io = tokenIo(keys)
  let closing: Promise<void> | undefined
  return {
    kind: parts.kind,
    ping: async () => {
      await db.get('SELECT 1 AS one')
    },
    close: () => (closing ??= parts.close()),
    profiles: profilesRepo(db, keys, now),
    loginProviders: loginProvidersRepo(db, keys, now),
    tokens: tokensRepo(db, io, parts.refreshLock(io)),
    loginTokens: loginTokensRepo(db, keys, now),
    sessions: parts.changeVersion
      ? cachedSessions(sessionsRepo(db, now), parts.changeVersion, now)
      : sessionsRepo(db, now),
    audit: auditRepo(db, now),
    leases: leasesRepo(db, now),
    attempts: attemptsRepo(db, parts.attempts),
    credentials: credentialsRepo(db, keys, now),
    reencryptAll: () => reencryptAll(db, keys),
  }
}
