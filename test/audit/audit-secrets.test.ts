/**
 * Audit entries never contain a secret. Entries are written through the real code paths that
 * handle secrets (a failing token refresh whose provider echoes the secrets back, a failed login)
 * and through a careless caller that hands secrets to the audit; then every raw row of every table
 * is searched for the secrets in clear text.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync, existsSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import pg from 'pg'
import express from 'express'
import { createTokenProvider } from '../../src/tokens/index.js'
import { recordFailure } from '../../src/login/outcome.js'
import { ProfileService } from '../../src/profiles/service.js'
import { createPostgresDatabase, sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { opsContext, profileInput } from '../ops/helpers.js'

const SECRETS = [
  'profile-client-secret-DO-NOT-LEAK',
  'refresh-token-DO-NOT-LEAK',
  'access-token-DO-NOT-LEAK',
  'auth-code-DO-NOT-LEAK',
  'password-DO-NOT-LEAK',
  'rotated-secret-DO-NOT-LEAK',
]

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A token endpoint that refuses and quotes everything it was sent (as some providers do). */
async function echoingTokenEndpoint(): Promise<string> {
  const app = express()
  app.post('/token', express.urlencoded({ extended: false }), (req, res) => {
    res.status(400).json({
      error: 'invalid_grant',
      error_description: `refused ${JSON.stringify(req.body)} ${req.get('authorization') ?? ''}`,
    })
  })
  const server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
}

async function writeEntries(database: string): Promise<{ listed: string }> {
  const ops = await opsContext(database, TEST_KEYS)
  cleanups.push(() => ops.close())
  // The plain store: its audit repository redacts every entry, so no wrapper is needed.
  const ctx = ops.ctx
  const tokenUrl = await echoingTokenEndpoint()
  const tokens = createTokenProvider(ctx)

  // 1. Admin changes through the real profile service: create with a secret, change the secret, delete another.
  const profiles = new ProfileService(ctx, tokens)
  const profile = await profiles.create(profileInput({ name: 'Mailbox', tokenUrl, clientSecret: SECRETS[0] }), 'alice')
  await profiles.update(
    profile.id,
    profileInput({ name: 'Mailbox', tokenUrl, clientSecret: SECRETS[5], scope: 'imap' }),
    'alice',
  )
  await profiles.update(
    profile.id,
    profileInput({ name: 'Mailbox', tokenUrl, clientSecret: SECRETS[0], scope: 'imap' }),
    'alice',
  )
  const other = await profiles.create(profileInput({ name: 'Other', clientSecret: SECRETS[5] }), 'alice')
  await profiles.delete(other.id, 'alice')
  await ops.store.tokens.save(profile.id, {
    refreshToken: SECRETS[1],
    accessToken: SECRETS[2],
    accessTokenExpiresAt: new Date(ops.clock.now() - 1000),
    status: 'ok',
  })

  // 2. A token failure through the real token provider.
  const err = await tokens.getAccessToken('Mailbox').catch((e: unknown) => e)
  expect(err).toMatchObject({ name: 'AuthdockError' })
  await tokens.close()

  // 3. A login failure through the real login outcome.
  await recordFailure(ctx, {
    reason: 'OIDC_STATE_INVALID',
    method: 'oidc',
    providerId: 'entra',
    details: { code: SECRETS[3] },
  })

  // 4. A careless caller: an admin change with old/new values and a request body full of secrets.
  await ctx.store.audit.add({
    kind: 'profile.updated',
    actor: 'alice',
    profileId: profile.id,
    details: {
      old: { clientSecret: SECRETS[0], scope: 'a' },
      new: { clientSecret: 'new-secret', scope: 'b' },
      body: { password: SECRETS[4], code_verifier: 'v', id_token: 'eyJ.x.y' },
      note: `Bearer ${SECRETS[2]}`,
    },
  })

  const entries = await ops.store.audit.list()
  expect(entries.map((e) => e.kind).sort()).toEqual([
    'login.failed',
    'profile.created',
    'profile.created',
    'profile.deleted',
    'profile.updated',
    'profile.updated',
    'profile.updated',
    'token.failed',
  ])
  expect(entries.filter((e) => e.details.secretChanged === 'yes')).toHaveLength(2)
  expect(entries.find((e) => e.kind === 'token.failed')).toMatchObject({
    profileId: profile.id,
    details: { code: expect.stringMatching(/^TOKEN_/) },
  })
  expect(
    entries.find((e) => e.kind === 'profile.updated' && e.actor === 'alice' && 'old' in e.details)!.details,
  ).toMatchObject({ old: { scope: 'a' }, new: { scope: 'b' } })
  return { listed: JSON.stringify(entries) }
}

describe('audit entries never contain a secret', () => {
  it('SQLite: not in the listed entries, not anywhere in the database file', async () => {
    const url = await sqliteUrl()
    const { listed } = await writeEntries(url)
    for (const s of SECRETS) expect(listed).not.toContain(s)
    const file = url.slice('sqlite:'.length)
    const raw = [file, `${file}-wal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('')
    expect(raw.length).toBeGreaterThan(0)
    for (const s of SECRETS) expect(raw).not.toContain(s)
  })

  it('PostgreSQL: not in any column of any row of any table', async (t) => {
    const db = await createPostgresDatabase()
    if (!db) return t.skip('PostgreSQL is not running on this machine')
    cleanups.push(db.drop)
    const { listed } = await writeEntries(db.url)
    for (const s of SECRETS) expect(listed).not.toContain(s)
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
      )
      expect(tables.rows.length).toBeGreaterThan(0)
      let dump = ''
      for (const { table_name } of tables.rows) {
        const rows = await client.query(`SELECT t::text AS row FROM "${table_name}" t`)
        dump += rows.rows.map((r: { row: string }) => r.row).join('\n')
      }
      expect(dump).toContain('token.failed')
      for (const s of SECRETS) expect(dump).not.toContain(s)
    } finally {
      await client.end()
    }
  })
})
