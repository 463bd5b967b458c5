/**
 * The same example app against PostgreSQL and Redis (AUTHDOCK_DATABASE=postgres://…, REDIS_URL), as
 * for several instances: the login works, GET /me names alice, and the session lives in Redis.
 * Skips with a message where PostgreSQL or Redis is absent on a developer's machine; in CI it runs.
 */
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../fixtures/browser-client.js'
import { createPostgresDatabase } from '../fixtures/databases.js'
import { formAction, startExampleFixture, type ExampleAppFixture } from './example-fixture.js'
import { REDIS_URL, redisAvailable } from '../fixtures/redis-server.js'

const db = await createPostgresDatabase()
const redisUp = await redisAvailable("the example app's Redis test")

describe.skipIf(!db || !redisUp)('example app with AUTHDOCK_DATABASE=postgres://… and REDIS_URL', () => {
  let app: ExampleAppFixture
  const redis = createClient({ url: REDIS_URL })

  beforeAll(async () => {
    await redis.connect()
    app = await startExampleFixture({ AUTHDOCK_DATABASE: db!.url, REDIS_URL })
  })
  afterAll(async () => {
    await app?.close()
    await redis.quit()
    await db?.drop()
  })

  it('logs alice in through the dev identity provider and keeps her session in Redis', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200)
    const browser = new BrowserClient()
    const loginPage = await browser.navigate(`${app.url}/auth/login?returnTo=/me`)
    const done = await browser.navigate(formAction(loginPage.body, loginPage.url), {
      form: { email: 'alice@example.com', password: 'alice-password' },
      headers: { accept: 'application/json' },
    })
    expect(done.res.status).toBe(200)
    expect((JSON.parse(done.body) as { user: { id: string } }).user.id).toBe('alice')

    const cookie = decodeURIComponent(browser.cookie(app.url, 'authdock.sid') ?? '')
    const sid = /^s:([^.]+)\./.exec(cookie)?.[1]
    expect(sid).toBeTruthy()
    expect(await redis.exists(`authdock:sess:${sid}`)).toBe(1)
  })

  it('seeds the "Dev mailbox" profile into PostgreSQL on first start', async () => {
    expect(app.dock.store.kind).toBe('postgres')
    expect((await app.dock.store.profiles.getByName('Dev mailbox'))?.clientId).toBe('mailbox')
  })
})
