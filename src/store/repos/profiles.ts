/**
 * Profiles: unique names, write-only client secret, token clearing when the grant settings change,
 * and a secret that does not follow the profile to another server (dropped unless a new one is given).
 */
import { randomUUID } from 'node:crypto'
import { AuthdockError } from '../../errors.js'
import type { Keyring } from '../crypto.js'
import { constraintKind, type Db } from '../db.js'
import { toMs, toProfile, toTokenSummary } from '../rows.js'
import { sealer } from '../secrets.js'
import {
  PROFILE_PAGE_DEFAULT,
  PROFILE_PAGE_MAX,
  type Profile,
  type ProfileInput,
  type ProfilePageQuery,
  type Store,
} from '../types.js'
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

const DAY_MS = 86_400_000

/** A LIKE pattern matching `text` anywhere, its own % _ and \ taken literally. */
function containing(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** The WHERE clause of a page query over `profiles p LEFT JOIN tokens t`. */
function pageWhere(query: ProfilePageQuery, now: number): { sql: string; params: unknown[] } {
  const where: string[] = []
  const params: unknown[] = []
  const q = query.q?.trim()
  if (q) {
    const like = containing(q)
    where.push(
      `(lower(p.name) LIKE ? ESCAPE '\\' OR lower(coalesce(p.mailbox, '')) LIKE ? ESCAPE '\\' OR lower(p.client_id) LIKE ? ESCAPE '\\')`,
    )
    params.push(like, like, like)
  }
  // "No token" as the overview words it: no record, or one holding neither a token nor an error.
  const none =
    't.profile_id IS NULL OR (t.access_token IS NULL AND t.refresh_token IS NULL AND t.last_error_code IS NULL)'
  if (query.state === 'none') where.push(`(${none})`)
  else if (query.state) {
    where.push(`t.status = ? AND NOT (${none})`)
    params.push(query.state)
  }
  if (query.expiresWithinDays !== undefined) {
    where.push('p.secret_expires_at IS NOT NULL AND p.secret_expires_at <= ?')
    params.push(now + query.expiresWithinDays * DAY_MS)
  }
  if (query.needsAttention) {
    where.push("p.valid = ? AND t.status <> 'ok'")
    params.push(true)
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params }
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
    async page(query = {}) {
      const pageSize = Math.min(
        Math.max(Math.trunc(query.pageSize ?? PROFILE_PAGE_DEFAULT) || PROFILE_PAGE_DEFAULT, 1),
        PROFILE_PAGE_MAX,
      )
      const page = Math.max(Math.trunc(query.page ?? 1) || 1, 1)
      const where = pageWhere(query, now())
      const from = `FROM profiles p LEFT JOIN tokens t ON t.profile_id = p.id ${where.sql}`
      const [count, rows] = await Promise.all([
        db.get<{ n: unknown }>(`SELECT count(*) AS n ${from}`, where.params),
        // Ordered like list(); the (lower(name), name) index serves the order and the offset.
        db.all(
          `SELECT p.* ${from} ORDER BY lower(p.name), p.name LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
          where.params,
        ),
      ])
      const ids = rows.map((r) => String(r.id))
      const tokens = ids.length
        ? await db.all(`SELECT * FROM tokens WHERE profile_id IN (${ids.map(() => '?').join(', ')})`, ids)
        : []
      const byId = new Map(tokens.map((t) => [String(t.profile_id), toTokenSummary(t)]))
      return {
        rows: rows.map((r) => ({ profile: toProfile(r), token: byId.get(String(r.id)) ?? null })),
        total: Number(count?.n ?? 0),
        page,
        pageSize,
      }
    },
    async countNeedingAttention() {
      const row = await db.get<{ n: unknown }>(
        `SELECT count(*) AS n FROM profiles p JOIN tokens t ON t.profile_id = p.id WHERE p.valid = ? AND t.status <> 'ok'`,
        [true],
      )
      return Number(row?.n ?? 0)
    },
    async names(ids) {
      const unique = [...new Set(ids)]
      const names = new Map<string, string>()
      // Bounded IN lists: SQLite allows 32,766 parameters, PostgreSQL 65,535.
      for (let i = 0; i < unique.length; i += 500) {
        const chunk = unique.slice(i, i + 500)
        for (const r of await db.all(
          `SELECT id, name FROM profiles WHERE id IN (${chunk.map(() => '?').join(', ')})`,
          chunk,
        )) {
          names.set(String(r.id), String(r.name))
        }
      }
      return names
    },
    async getClientSecret(id) {
      const row = await db.get('SELECT client_secret FROM profiles WHERE id = ?', [id])
      return row ? secret.open(row.client_secret, id) : null
    },
  }
}
