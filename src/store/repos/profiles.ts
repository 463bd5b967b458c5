/**
 * Profiles: unique names, write-only client secret, token clearing when the grant settings change,
 * and a secret that does not follow the profile to another server (dropped unless a new one is given).
 */
import { randomUUID } from 'node:crypto'
import { AuthdockError } from '../../errors.js'
import type { Keyring } from '../crypto.js'
import { constraintKind, type Db } from '../db.js'
import { toMs, toProfile } from '../rows.js'
import { sealer } from '../secrets.js'
import type { Profile, ProfileInput, Store } from '../types.js'
import { secretMoves } from '../secret-binding.js'

/** Changing one of these makes the stored tokens belong to other settings: they are cleared. */
const TOKEN_BOUND_FIELDS = ['authorizationUrl', 'tokenUrl', 'clientId', 'scope', 'grantType'] as const

const COLUMNS =
  'name, grant_type, authorization_url, token_url, redirect_url, client_id, scope, valid, secret_expires_at, proxy, preset, tenant_id, mailbox, revocation_url'

/** `existing`: the stored row on update, whose optional fields stay when the input leaves them undefined. */
function values(input: ProfileInput, existing?: Record<string, unknown>): unknown[] {
  return [
    input.name,
    input.grantType,
    input.authorizationUrl,
    input.tokenUrl,
    input.redirectUrl,
    input.clientId,
    input.scope,
    input.valid,
    toMs(input.secretExpiresAt),
    input.proxy,
    input.preset,
    input.tenantId,
    input.mailbox === undefined ? (existing?.mailbox ?? null) : input.mailbox,
    input.revocationUrl === undefined ? (existing?.revocation_url ?? null) : input.revocationUrl,
  ]
}

function nameTaken(error: unknown, name: string): unknown {
  if (constraintKind(error) !== 'unique') return error
  return new AuthdockError('PROFILE_NAME_TAKEN', `A profile named "${name}" already exists`, {
    cause: error,
    fields: { name: 'A profile with this name already exists' },
  })
}

export function profilesRepo(db: Db, keys: Keyring, now: () => number): Store['profiles'] {
  const secret = sealer(keys, 'profiles', 'client_secret')
  const byId = async (d: Db, id: string) => d.get('SELECT * FROM profiles WHERE id = ?', [id])

  return {
    async list(): Promise<Profile[]> {
      return (await db.all('SELECT * FROM profiles ORDER BY lower(name), name')).map(toProfile)
    },
    async get(id) {
      const row = await byId(db, id)
      return row ? toProfile(row) : null
    },
    async getByName(name) {
      const row = await db.get('SELECT * FROM profiles WHERE name = ?', [name])
      return row ? toProfile(row) : null
    },
    async create(input) {
      const id = randomUUID()
      const at = now()
      try {
        const row = await db.get(
          `INSERT INTO profiles (id, ${COLUMNS}, client_secret, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          [id, ...values(input), secret.seal(input.clientSecret ?? null, id), at, at],
        )
        return toProfile(row!)
      } catch (error) {
        throw nameTaken(error, input.name)
      }
    },
    async update(id, input) {
      return db.transaction(async (tx) => {
        const existing = await byId(tx, id)
        if (!existing) throw new AuthdockError('PROFILE_NOT_FOUND', `No profile with id ${id}`)
        const before = toProfile(existing)
        const keyChanged = TOKEN_BOUND_FIELDS.some((f) => before[f] !== input[f])
        // The profile service refuses such a move with a clear message; this guards every other writer.
        const kept = secretMoves(before, input).length === 0 ? existing.client_secret : null
        const clientSecret = input.clientSecret === undefined ? kept : secret.seal(input.clientSecret, id)
        let row
        try {
          row = await tx.get(
            `UPDATE profiles SET (${COLUMNS}, client_secret, updated_at) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             WHERE id = ? RETURNING *`,
            [...values(input, existing), clientSecret, now(), id],
          )
        } catch (error) {
          throw nameTaken(error, input.name)
        }
        const tokensCleared = keyChanged && (await tx.run('DELETE FROM tokens WHERE profile_id = ?', [id])) > 0
        return { profile: toProfile(row!), tokensCleared }
      })
    },
    async delete(id) {
      return db.transaction(async (tx) => {
        await tx.run('DELETE FROM tokens WHERE profile_id = ?', [id])
        // Its certificates (and their private keys) go with it.
        await tx.run("DELETE FROM credentials WHERE owner_kind = 'profile' AND owner_id = ?", [id])
        await tx.run("DELETE FROM client_auth WHERE owner_kind = 'profile' AND owner_id = ?", [id])
        return (await tx.run('DELETE FROM profiles WHERE id = ?', [id])) > 0
      })
    },
    async getClientSecret(id) {
      const row = await db.get('SELECT client_secret FROM profiles WHERE id = ?', [id])
      return row ? secret.open(row.client_secret, id) : null
    },
  }
}
