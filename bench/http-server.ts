/**
 * One server under test for bench/http.ts, forked per variant so the load generator never shares
 * its process: `node --import tsx bench/http-server.ts <variant>`. Every variant serves
 * GET /me → 200 `{ user }` to a logged-in session (401 or a redirect otherwise) and tells its parent
 * `{ ready: url, login }` over IPC once it listens on a loopback port picked by the OS; `login` says
 * how the parent gets a logged-in session. 'cpu' answers `{ cpu }`, the process's CPU time in µs. On
 * 'stop' it removes its Redis keys and exits.
 *
 * - bare: Express 5, no session.
 * - passport: express-session + connect-redis (defaults: GET + EXPIRE per request) + passport
 *   0.7 with a Map lookup in deserializeUser; GET /login logs in.
 * - passport-untouched: the same with connect-redis `disableTouch` (one round trip, as authdock).
 * - passport-memory: the same with express-session's own MemoryStore (no store round trip at all).
 * - eoc: express-openid-connect's requiresAuth() with its default cookie session (encrypted, rolling);
 *   a real oidc-provider (test/fixtures) in this process for the login.
 * - authdock: createAuthdock with session.redis, password login, dock.requireLogin.
 * - authdock-sqlite: the same with the embedded default: sessions in the SQLite store.
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import session from 'express-session'
import { Passport } from 'passport'
import { RedisStore } from 'connect-redis'
import { createClient } from 'redis'

export const REDIS_URL = 'redis://127.0.0.1:6379'
export type Variant =
  'bare' | 'passport' | 'passport-untouched' | 'passport-memory' | 'eoc' | 'authdock' | 'authdock-sqlite'
export type LoginKind = 'none' | 'get-login' | 'oidc' | 'password'
export interface ReadyMessage {
  ready: string
  login: LoginKind
}

interface BenchUser {
  id: string
  username: string
  displayName: string
  [key: string]: unknown
}
const ALICE: BenchUser = { id: 'u-alice', username: 'alice', displayName: 'Alice Admin' }
const USERS = new Map([[ALICE.id, ALICE]])
const PASSWORD = 'alice-password'

const variant = process.argv[2] as Variant
const server = http.createServer()
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const prefix = `bench:${variant}:${randomBytes(4).toString('hex')}:`
const cleanup: Array<() => Promise<unknown> | unknown> = []

async function redisClient() {
  const client = createClient({ url: REDIS_URL })
  client.on('error', (err: Error) => console.error(`[${variant}] redis: ${err.message}`))
  await client.connect()
  cleanup.push(async () => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
      if (keys.length) await client.del(keys)
    await client.quit()
  })
  return client
}

async function build(): Promise<{ app: Express; login: LoginKind }> {
  const app = express()
  switch (variant) {
    case 'bare':
      app.get('/me', (_req, res) => {
        res.json({ user: ALICE })
      })
      return { app, login: 'none' }

    case 'passport':
    case 'passport-untouched':
    case 'passport-memory': {
      const passport = new Passport()
      passport.serializeUser((user, done) => done(null, (user as BenchUser).id))
      passport.deserializeUser((id: string, done) => done(null, USERS.get(id) ?? false))
      const disableTouch = variant === 'passport-untouched'
      app.use(
        session({
          store:
            variant === 'passport-memory'
              ? new session.MemoryStore()
              : new RedisStore({ client: await redisClient(), prefix, disableTouch }),
          secret: randomBytes(24).toString('hex'),
          resave: false,
          saveUninitialized: false,
          cookie: { httpOnly: true, sameSite: 'lax', maxAge: 8 * 3600_000 },
        }),
      )
      app.use(passport.initialize())
      app.use(passport.session())
      app.get('/login', (req, res, next) => req.login(ALICE, (err) => (err ? next(err) : res.json({ ok: true }))))
      app.get('/me', (req, res) => {
        if (!req.user) return void res.status(401).json({ error: { code: 'UNAUTHENTICATED' } })
        res.json({ user: req.user })
      })
      return { app, login: 'get-login' }
    }

    case 'eoc': {
      // CommonJS with a spread export: the named exports are only on the default.
      const eoc = await import('express-openid-connect')
      const { auth, requiresAuth } = (eoc as unknown as { default: typeof eoc }).default
      const { startOidcProvider } = await import('../test/fixtures/oidc-provider.js')
      const clientSecret = randomBytes(24).toString('hex')
      const op = await startOidcProvider({
        clients: [
          {
            client_id: 'eoc-bench',
            client_secret: clientSecret,
            redirect_uris: [`${url}/callback`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
      })
      cleanup.push(() => op.close())
      app.use(
        auth({
          issuerBaseURL: op.issuer,
          baseURL: url,
          clientID: 'eoc-bench',
          clientSecret,
          secret: randomBytes(32).toString('hex'),
          authRequired: false,
          enableTelemetry: false,
          authorizationParams: { response_type: 'code', response_mode: 'query', scope: 'openid profile email' },
        }),
      )
      app.get('/', (_req, res) => {
        res.type('text/plain').send('home')
      })
      // The ID token's sub names the user; the lookup is the same Map read as the others.
      app.get('/me', requiresAuth(), (req, res) => {
        res.json({ user: USERS.get(`u-${String(req.oidc.user?.sub)}`) ?? null })
      })
      // requiresAuth() passes a 401 error for API clients; answer it without logging a stack.
      app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(err.status ?? 500).json({ error: { code: 'UNAUTHENTICATED' } })
      })
      return { app, login: 'oidc' }
    }

    case 'authdock':
    case 'authdock-sqlite': {
      const { createAuthdock } = await import('../src/authdock.js')
      const client = variant === 'authdock' ? await redisClient() : undefined
      const dir = mkdtempSync(join(tmpdir(), 'authdock-bench-http-'))
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
      const dock = await createAuthdock({
        baseUrl: url,
        database: `sqlite:${join(dir, 'authdock.db')}`,
        encryptionKey: randomBytes(32).toString('base64'),
        session: {
          secret: randomBytes(24).toString('hex'),
          ...(client ? { redis: client, redisPrefix: prefix } : {}),
        },
        users: {
          findByClaim: () => null,
          findByUsername: ({ username }) => (username === ALICE.username ? ALICE : null),
          findById: ({ id }) => USERS.get(String(id)) ?? null,
          verifyPassword: ({ password }) => password === PASSWORD,
          isPasswordLoginEnabled: () => true,
        },
      })
      cleanup.unshift(() => dock.close())
      app.use(dock.router)
      app.get('/me', dock.requireLogin, (req, res) => {
        res.json({ user: req.user })
      })
      return { app, login: 'password' }
    }
    default:
      throw new Error(`unknown variant "${String(variant)}"`)
  }
}

const { app, login } = await build()
server.on('request', app)
process.on('message', (message) => {
  // CPU time spent so far (user + system, µs): the parent divides a run's share by its requests.
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage()
    process.send!({ cpu: user + system })
    return
  }
  if (message !== 'stop') return
  server.closeAllConnections()
  server.close()
  void (async () => {
    for (const step of cleanup) await step()
    process.exit(0)
  })()
})
process.send!({ ready: url, login } satisfies ReadyMessage)
