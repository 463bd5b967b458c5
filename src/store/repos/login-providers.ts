/**
 * Login providers managed in the admin: write-only client secret (encrypted, bound to the row), a
 * version per row and one for the whole table, so every instance notices a change with one cheap
 * read. A secret belongs to the provider that issued it: when the issuer's origin changes and no
 * new secret is given, the stored one is removed in the same transaction.
 */
import { AuthdockError } from '../../errors.js'
import type { Keyring } from '../crypto.js'
import { constraintKind, type Db } from '../db.js'
import { toLoginProvider, toMs } from '../rows.js'
import { sealer } from '../secrets.js'
import type { LoginProviderInput, Store } from '../types.js'

const COLUMNS =
  'label, active, issuer, client_id, secret_expires_at, scope, claim, claim_label, authorization_params, id_token_algorithms, preset, tenant_id'

const VERSION_NAME = 'login_providers'

function values(input: LoginProviderInput): unknown[] {
  return [
    input.label,
    input.active,
    input.issuer,
    input.clientId,
    toMs(input.secretExpiresAt),
    input.scope,
    input.claim,
    input.claimLabel,
    JSON.stringify(input.authorizationParams),
    input.idTokenAlgorithms ? JSON.stringify(input.idTokenAlgorithms) : null,
    input.preset,
    input.tenantId,
  ]
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin
  } catch {
    return null
  }
}

const bump = (db: Db) => db.run('UPDATE store_versions SET version = version + 1 WHERE name = ?', [VERSION_NAME])

export function loginProvidersRepo(db: Db, keys: Keyring, now: () => number): Store['loginProviders'] {
  const secret = sealer(keys, 'login_providers', 'client_secret')
  const byId = (d: Db, id: string) => d.get('SELECT * FROM login_providers WHERE id = ?', [id])
  // Which login audit entries name a provider: the JSON operator differs, the question does not.
  const providerOfDetails =
    db.dialect === 'postgres' ? `details->>'providerId'` : `json_extract(details, '$.providerId')`

  return {
    async list() {
      return (await db.all('SELECT * FROM login_providers ORDER BY lower(label), id')).map(toLoginProvider)
    },
    async get(id) {
      const row = await byId(db, id)
      return row ? toLoginProvider(row) : null
    },
    async create(id, input) {
      const at = now()
      try {
        return await db.transaction(async (tx) => {
          const row = await tx.get(
            `INSERT INTO login_providers (id, ${COLUMNS}, client_secret, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING *`,
            [id, ...values(input), secret.seal(input.clientSecret ?? null, id), at, at],
          )
          await bump(tx)
          return toLoginProvider(row!)
        })
      } catch (error) {
        if (constraintKind(error) !== 'unique') throw error
        throw new AuthdockError('VALIDATION_FAILED', `A login provider with the id "${id}" already exists`, {
          cause: error,
          fields: { id: 'is already used by another login provider; reload the form' },
        })
      }
    },
    async update(id, input) {
      return db.transaction(async (tx) => {
        const existing = await byId(tx, id)
        if (!existing) throw new AuthdockError('LOGIN_PROVIDER_NOT_FOUND', `No login provider with id ${id}`)
        const originChanged = originOf(String(existing.issuer)) !== originOf(input.issuer)
        const keep = input.clientSecret === undefined
        const secretDropped =
          keep && originChanged && existing.client_secret !== null && existing.client_secret !== undefined
        const clientSecret = secretDropped
          ? null
          : keep
            ? existing.client_secret
            : secret.seal(input.clientSecret ?? null, id)
        const row = await tx.get(
          `UPDATE login_providers SET (${COLUMNS}, client_secret, version, updated_at) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           WHERE id = ? RETURNING *`,
          [...values(input), clientSecret, Number(existing.version) + 1, now(), id],
        )
        await bump(tx)
        return { provider: toLoginProvider(row!), secretDropped }
      })
    },
    async delete(id) {
      return db.transaction(async (tx) => {
        const deleted = (await tx.run('DELETE FROM login_providers WHERE id = ?', [id])) > 0
        if (deleted) {
          await bump(tx)
          // Its certificates (and their private keys) and its method go with it.
          await tx.run('DELETE FROM credentials WHERE owner_kind = ? AND owner_id = ?', ['login-provider', id])
          await tx.run('DELETE FROM client_auth WHERE owner_kind = ? AND owner_id = ?', ['login-provider', id])
        }
        return deleted
      })
    },
    async getClientSecret(id) {
      const row = await db.get('SELECT client_secret FROM login_providers WHERE id = ?', [id])
      return row ? secret.open(row.client_secret, id) : null
    },
    async activeWithSecrets() {
      const rows = await db.all('SELECT * FROM login_providers WHERE active = ? ORDER BY lower(label), id', [true])
      return rows.map((row) => ({
        ...toLoginProvider(row),
        clientSecret: secret.open(row.client_secret, String(row.id)),
      }))
    },
    async version() {
      const row = await db.get<{ version: unknown }>('SELECT version FROM store_versions WHERE name = ?', [
        VERSION_NAME,
      ])
      return Number(row?.version ?? 0)
    },
    async userCount(id) {
      const row = await db.get<{ n: unknown }>(
        `SELECT COUNT(*) AS n FROM (
           SELECT actor AS u FROM audit WHERE kind = 'login.succeeded' AND actor IS NOT NULL AND ${providerOfDetails} = ?
           UNION
           SELECT user_id AS u FROM login_tokens WHERE provider_id = ?
         ) users`,
        [id, id],
      )
      return Number(row?.n ?? 0)
    },
  }
}
