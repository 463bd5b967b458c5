/**
 * The token-only entry for mail workers: `openTokenProvider` opens with the database and the key
 * alone, serves and refreshes tokens, works with the mail helpers, refuses bad options naming them,
 * runs the keep-alive only when asked, and `authdock/tokens` loads no web framework.
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AuthdockError } from '../../src/errors.js'
import {
  imapflowAuth,
  nodemailerProvisionCallback,
  openTokenProvider,
  type TokenWorker,
} from '../../src/tokens-entry.js'
import type { OidcProviderFixture } from '../fixtures/oidc-provider.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { authorizedProfile, makeContext, startMailOp, type TokenTestContext } from './helpers.js'

describe('openTokenProvider (token-only worker)', () => {
  let op: OidcProviderFixture
  let t: TokenTestContext | undefined
  let worker: TokenWorker | undefined

  beforeAll(async () => {
    op = await startMailOp()
  })
  afterAll(async () => {
    await op.close()
  })
  afterEach(async () => {
    await worker?.close()
    await t?.close()
    worker = undefined
    t = undefined
  })

  async function authorized() {
    t = await makeContext({ database: sqliteUrl() })
    const { profile } = await authorizedProfile(t, op)
    op.resetCounters()
    return { database: t.ctx.config.database, profile, stored: (await t.store.tokens.get(profile.id))! }
  }

  it('opens with only database and encryptionKey and serves the stored token, also through the mail helpers', async () => {
    const { database, profile, stored } = await authorized()
    worker = await openTokenProvider({ database, encryptionKey: TEST_KEYS[0] })

    expect(await worker.getAccessToken(profile.id)).toBe(stored.accessToken)
    expect(await worker.getToken('Support mailbox')).toEqual({
      profileId: profile.id,
      accessToken: stored.accessToken,
      expiresAt: stored.accessTokenExpiresAt,
    })
    expect(await imapflowAuth(worker, 'Support mailbox', 'desk@example.com')).toEqual({
      user: 'desk@example.com',
      accessToken: stored.accessToken,
    })
    const provisioned = await new Promise<{ token?: string; expires?: number }>((resolve, reject) =>
      nodemailerProvisionCallback(worker!, profile.id)('desk@example.com', false, (err, token, expires) =>
        err ? reject(err) : resolve({ token, expires }),
      ),
    )
    expect(provisioned).toEqual({ token: stored.accessToken, expires: stored.accessTokenExpiresAt!.getTime() })
    // A valid stored token needs no provider.
    expect(op.requests['/token']).toBeUndefined()

    await worker.close()
    await worker.close() // closing twice is harmless
    worker = undefined
  })

  it('refreshes an expired token itself, with the token options given, and says so on its events', async () => {
    const { database, profile, stored } = await authorized()
    await t!.store.tokens.save(profile.id, { accessTokenExpiresAt: new Date(Date.now() - 1000) })
    worker = await openTokenProvider({ database, encryptionKey: TEST_KEYS, tokens: { defaultExpiresInSec: 60 } })
    const refreshed = once(worker.events, 'token.refreshed')

    const token = await worker.getAccessToken(profile.id)
    expect(token).not.toBe(stored.accessToken)
    expect(await refreshed).toEqual([{ profileId: profile.id }])
    expect(op.grants.refresh_token).toBe(1)
    expect((await t!.store.tokens.get(profile.id))?.accessToken).toBe(token)
  })

  it('keepAlive: true runs the keep-alive in the worker (off by default: the web instances run it)', async () => {
    const { database, profile } = await authorized()
    worker = await openTokenProvider({
      database,
      encryptionKey: TEST_KEYS[0],
      keepAlive: true,
      tokens: { keepAliveAfterMs: 1, keepAliveIntervalMs: 100 },
    })
    // Nobody asks for a token: only the keep-alive can cause this refresh.
    expect(await once(worker.events, 'token.refreshed')).toEqual([{ profileId: profile.id }])
    expect(op.grants.refresh_token).toBeGreaterThanOrEqual(1)
  })

  it.each([
    ['encryptionKey', { database: 'sqlite::memory:' }, 'is required'],
    ['encryptionKey', { database: 'sqlite::memory:', encryptionKey: 'c2hvcnQ=' }, '32 bytes'],
    ['database', { database: 'mysql://db/x', encryptionKey: TEST_KEYS[0] }, 'sqlite'],
    [
      'tokens.lockTimeoutMs',
      { database: 'sqlite::memory:', encryptionKey: TEST_KEYS[0], tokens: { lockTimeoutMs: -1 } },
      'expected',
    ],
    ['keepAlive', { database: 'sqlite::memory:', encryptionKey: TEST_KEYS[0], keepAlive: 'yes' }, 'boolean'],
  ])('refuses a missing or bad %s with CONFIG_INVALID naming it', async (field, options, expected) => {
    const error = await openTokenProvider(options as never).then(
      (w) => w.close().then(() => null),
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(AuthdockError)
    expect((error as AuthdockError).code).toBe('CONFIG_INVALID')
    expect((error as AuthdockError).message).toContain(`"${field}"`)
    expect((error as AuthdockError).fields?.[field]).toContain(expected)
  })
})

describe('the authdock/tokens entry', () => {
  const run = promisify(execFile)
  /** The packages a fresh Node process has loaded after importing `file` (express, passport and ejs are CommonJS). */
  async function packagesLoadedBy(file: string): Promise<string[]> {
    const probe = `
      import { createRequire } from 'node:module'
      await import(${JSON.stringify(file)})
      const names = Object.keys(createRequire(import.meta.url).cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1])
      console.log(JSON.stringify([...new Set(names.filter(Boolean))]))`
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe])
    return JSON.parse(stdout) as string[]
  }

  it('loads neither express nor passport nor ejs (the main entry does, so the probe would see them)', async () => {
    const [main, entry] = await Promise.all([
      packagesLoadedBy(fileURLToPath(new URL('../../src/index.ts', import.meta.url))),
      packagesLoadedBy(fileURLToPath(new URL('../../src/tokens-entry.ts', import.meta.url))),
    ])
    expect(main).toEqual(expect.arrayContaining(['express', 'passport', 'ejs']))
    expect(entry).not.toContain('express')
    expect(entry).not.toContain('passport')
    expect(entry).not.toContain('ejs')
    expect(entry).not.toContain('express-session')
  })

  it('is the package subpath authdock/tokens, built next to the main entry', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, unknown>
    }
    expect(pkg.exports['./tokens']).toEqual({
      types: './dist/src/tokens-entry.d.ts',
      import: './dist/src/tokens-entry.js',
      default: './dist/src/tokens-entry.js',
    })
  })
})
