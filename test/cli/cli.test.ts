import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { openCliStore } from '../../src/cli/store.js'
import { openStore } from '../../src/store/index.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { profileInput, DAY } from '../ops/helpers.js'
import { runCli, spawnCli } from './cli-helpers.js'

const env = (database: string, keys = TEST_KEYS) => ({ AUTHDOCK_DATABASE: database, AUTHDOCK_KEY: keys.join(',') })

/** A migrated database without profiles. */
async function emptyDatabase(): Promise<string> {
  const url = await sqliteUrl()
  await (await openStore(url, { encryptionKeys: TEST_KEYS, now: () => Date.now() })).close()
  return url
}

/** A database with one profile whose secret has `days` whole days left (half a day of slack). */
async function databaseWithProfileExpiring(days: number): Promise<string> {
  const url = await sqliteUrl()
  const store = await openStore(url, { encryptionKeys: TEST_KEYS, now: () => Date.now() })
  await store.profiles.create(
    profileInput({ name: `expires-in-${days}`, secretExpiresAt: new Date(Date.now() + days * DAY + DAY / 2) }),
  )
  await store.close()
  return url
}

function dateInDays(days: number): string {
  return new Date(Date.now() + days * DAY).toISOString().slice(0, 10)
}

describe('authdock check-secrets exits 0 fine, 1 warning, 2 error (the real binary)', () => {
  const cases: Array<[number, number]> = [
    [91, 0],
    [89, 0],
    [29, 1],
    [6, 2],
    [0, 2],
    [-1, 2],
  ]
  for (const [days, exit] of cases) {
    it(`a profile secret with ${days} days left → exit ${exit}`, async () => {
      const url = await databaseWithProfileExpiring(days)
      const res = await spawnCli(['check-secrets'], env(url))
      expect(res.stderr).toBe('')
      expect(res.code).toBe(exit)
      if (days < 90) expect(res.stdout).toContain(`expires-in-${days}`)
    })
  }

  it('checks the login client secret given as --login-secret-expires or in the environment', async () => {
    const url = await emptyDatabase()
    // A date at midnight UTC: "today + 8" leaves 7 whole days at most → warning; "today + 7" → error.
    const warn = await runCli(['check-secrets', '--login-secret-expires', `entra=${dateInDays(8)}`], env(url))
    expect(warn.code).toBe(1)
    expect(warn.stdout).toMatch(/WARNING +login client "entra"/)
    const error = await runCli(['check-secrets'], { ...env(url), AUTHDOCK_LOGIN_SECRET_EXPIRES: dateInDays(7) })
    expect(error.code).toBe(2)
    const fine = await runCli(['check-secrets', '--login-secret-expires', dateInDays(120)], env(url))
    expect(fine).toMatchObject({ code: 0, stdout: expect.stringContaining('OK') })
  })

  it('prints JSON with --json', async () => {
    const url = await databaseWithProfileExpiring(29)
    const res = await runCli(['check-secrets', '--json'], env(url))
    expect(JSON.parse(res.stdout)).toMatchObject({
      exitCode: 1,
      findings: [{ kind: 'profile', daysLeft: 29, level: 'warning' }],
    })
  })
})

describe('authdock usage', () => {
  it('has --help on every command (exit 0)', async () => {
    const main = await spawnCli(['--help'])
    expect(main.code).toBe(0)
    expect(main.stdout).toContain('Usage: authdock <command>')
    for (const cmd of ['profiles', 'check-secrets', 'token', 'rotate-key', 'migrate']) {
      const res = await runCli([cmd, '--help'])
      expect(res.code, cmd).toBe(0)
      expect(res.stdout, cmd).toContain(`Usage: authdock ${cmd}`)
    }
  })

  it('answers bad usage with exit 64 and a hint', async () => {
    const url = await sqliteUrl()
    expect((await spawnCli(['frobnicate'])).code).toBe(64)
    expect((await spawnCli([])).code).toBe(64)
    const unknownOption = await runCli(['check-secrets', '--bogus'], env(url))
    expect(unknownOption.code).toBe(64)
    expect(unknownOption.stderr).toContain('--help')
    expect((await runCli(['token'], env(url))).code).toBe(64)
    expect((await runCli(['profiles', 'export'], env(url))).code).toBe(64)
    expect((await runCli(['check-secrets', '--login-secret-expires', '2027-13-45'], env(url))).code).toBe(64)
    const noDatabase = await runCli(['profiles', 'list'], { AUTHDOCK_KEY: TEST_KEYS[0] })
    expect(noDatabase.code).toBe(64)
    expect(noDatabase.stderr).toContain('AUTHDOCK_DATABASE')
    expect((await runCli(['profiles', 'list'], { AUTHDOCK_DATABASE: url })).code).toBe(64)
  })

  it('says 69 when the database is unavailable', async () => {
    const res = await runCli(['check-secrets'], env('sqlite:/nonexistent-folder/authdock.db'))
    expect(res.code).toBe(69)
    expect(res.stderr).toContain('STORE_UNAVAILABLE')
  })
})

describe('authdock token, profiles, rotate-key, migrate', () => {
  let url: string
  let profileId: string
  beforeAll(async () => {
    url = await sqliteUrl()
    const store = await openStore(url, { encryptionKeys: TEST_KEYS, now: () => Date.now() })
    const p = await store.profiles.create(
      profileInput({ name: '=cmd|calc', secretExpiresAt: new Date('2027-06-30T00:00:00Z') }),
    )
    profileId = p.id
    await store.tokens.save(p.id, {
      accessToken: 'access-token-DO-NOT-LEAK',
      refreshToken: 'refresh-token-DO-NOT-LEAK',
      accessTokenExpiresAt: new Date(Date.now() + 3600_000),
      scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
      status: 'ok',
    })
    await store.close()
  })
  afterAll(() => undefined)

  it('token prints expiry and scopes but never the token without --show', async () => {
    const res = await spawnCli(['token', '=cmd|calc'], env(url))
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('IMAP.AccessAsUser.All')
    expect(res.stdout).toMatch(/access token: +present, expires \d{4}-/)
    expect(res.stdout + res.stderr).not.toContain('DO-NOT-LEAK')
    const json = await runCli(['token', profileId, '--json'], env(url))
    expect(JSON.parse(json.stdout)).not.toHaveProperty('accessToken')
    expect(json.stdout).not.toContain('DO-NOT-LEAK')
  })

  it('token --show prints the access token (and never the refresh token)', async () => {
    const res = await runCli(['token', profileId, '--show'], env(url))
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('access-token-DO-NOT-LEAK')
    expect(res.stdout).not.toContain('refresh-token-DO-NOT-LEAK')
  })

  it('token for an unknown profile exits 65 PROFILE_NOT_FOUND', async () => {
    const res = await runCli(['token', 'nope'], env(url))
    expect(res.code).toBe(65)
    expect(res.stderr).toContain('PROFILE_NOT_FOUND')
  })

  it('profiles list and export --csv show no secret; the CSV neutralises formulas', async () => {
    const list = await runCli(['profiles', 'list'], env(url))
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('=cmd|calc')
    const csv = await runCli(['profiles', 'export', '--csv'], env(url))
    expect(csv.code).toBe(0)
    expect(csv.stdout.split('\r\n')[1]).toContain(`"'=cmd|calc"`)
    for (const out of [list.stdout, csv.stdout]) {
      expect(out).not.toContain('DO-NOT-LEAK')
      expect(out).not.toContain('profile-client-secret')
    }
  })

  it('rotate-key re-encrypts under the newest key so the old key can go', async () => {
    const { randomBytes } = await import('node:crypto')
    const newKey = randomBytes(32).toString('base64')
    const res = await runCli(['rotate-key'], env(url, [newKey, ...TEST_KEYS]))
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/Re-encrypted [1-9]\d* value/)
    const onlyNew = await runCli(['token', profileId, '--show'], env(url, [newKey]))
    expect(onlyNew.code).toBe(0)
    expect(onlyNew.stdout).toContain('access-token-DO-NOT-LEAK')
  })

  it('migrate creates a new database; other commands refuse a missing file', async () => {
    const { mkdtemp } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const fresh = `sqlite:${join(await mkdtemp(join(tmpdir(), 'authdock-cli-')), 'new.db')}`
    expect((await runCli(['profiles', 'list'], env(fresh))).code).toBe(69)
    const migrated = await runCli(['migrate'], env(fresh))
    expect(migrated.code).toBe(0)
    expect((await runCli(['profiles', 'list'], env(fresh))).stdout).toContain('No profiles.')
  })
})

describe('the CLI writes the audit trail through the one redaction path', () => {
  const rawDetails = (url: string): string[] => {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true })
    try {
      return (db.prepare('SELECT details FROM audit').all() as Array<{ details: string }>).map((r) => r.details)
    } finally {
      db.close()
    }
  }

  it("stores a secret-looking detail written through the CLI's store redacted", async () => {
    const url = await emptyDatabase()
    const io = { env: env(url), now: () => Date.now(), out: () => undefined, err: () => undefined }
    const store = await openCliStore({ io })
    try {
      await store.audit.add({
        kind: 'profile.updated',
        actor: 'cli',
        details: { clientSecret: 'cli-secret-DO-NOT-LEAK', note: 'sent Bearer cli-token-DO-NOT-LEAK', scope: 'imap' },
      })
    } finally {
      await store.close()
    }
    const [details] = rawDetails(url)
    expect(details).not.toContain('DO-NOT-LEAK')
    expect(JSON.parse(details)).toEqual({ clientSecret: '[redacted]', note: 'sent Bearer [redacted]', scope: 'imap' })
  })

  it('rotate-key records key.rotated (actor cli) with the count, nothing secret', async () => {
    const url = await databaseWithProfileExpiring(200)
    const { randomBytes } = await import('node:crypto')
    const newKey = randomBytes(32).toString('base64')
    const res = await runCli(['rotate-key'], env(url, [newKey, ...TEST_KEYS]))
    expect(res.code).toBe(0)
    const store = await openStore(url, { encryptionKeys: [newKey], now: () => Date.now() })
    try {
      const [entry] = await store.audit.list({ kind: 'key.rotated' })
      expect(entry).toMatchObject({ actor: 'cli', details: { reencrypted: expect.any(Number) as number } })
    } finally {
      await store.close()
    }
    for (const details of rawDetails(url)) expect(details).not.toContain(newKey)
  })
})
