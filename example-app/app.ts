/**
 * The example host application: an Express app that mounts authdock, with the embedded dev
 * identity provider and the SMTP sink. `npm start` runs server.ts, which calls this with
 * process.env; tests call it with their own variables (PORT=0, a temporary database).
 */
import type { EventEmitter } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import express from 'express'
import { createClient } from 'redis'
import { createAuthdock, type Authdock, type Logger } from '../src/index.js'
import { createDevTls, type DevTls } from './dev-tls.js'
import { DEV_LOGIN_CLIENT_ID, startDevIdp, type DevIdp } from './dev-idp.js'
import { MailAccounts } from './mail-accounts.js'
import { mailRouter } from './mail-routes.js'
import { homeRouter } from './pages.js'
import { ExamplePages, examplePublicDir } from './render.js'
import { devClientSecret, encryptionKey, sessionSecret } from './secrets.js'
import { seedDevMailbox } from './seed.js'
import { readSettings, type Env } from './settings.js'
import { startSmtpSink, type SmtpSink } from './smtp-sink.js'
import { DEMO_USERS, isAdmin, userCallbacks } from './users.js'

export interface ExampleApp {
  /** The app's public origin (BASE_URL). */
  url: string
  /** The embedded dev identity provider, when OIDC_ISSUER is unset. */
  idpUrl?: string
  /** smtp://host:port of the SMTP sink. */
  smtpUrl: string
  dock: Authdock
  sink: SmtpSink
  /** The dev CA the sink's certificate comes from, and what mail connections trust. */
  devTls: DevTls
  close(): Promise<void>
}

export interface ExampleAppOptions {
  /** Console lines (warnings about generated secrets, authdock's warnings). Default: console.log. */
  log?: (line: string) => void
  /** Folder for generated secrets and mail accounts instead of the SQLite file's folder or ./data (tests). */
  dataDir?: string
}

const EVENTS = [
  'login.succeeded',
  'login.failed',
  'logout',
  'profile.created',
  'profile.updated',
  'profile.deleted',
  'profile.authorized',
  'profile.reauthorization_required',
  'token.refreshed',
  'token.failed',
  'secret.expiring',
]

function consoleLogger(log: (line: string) => void): Logger {
  const line = (level: string) => (obj: object | string, msg?: string) =>
    log(`[authdock] ${level}: ${typeof obj === 'string' ? obj : `${msg ?? ''} ${JSON.stringify(obj)}`}`)
  return { debug() {}, info: line('info'), warn: line('warn'), error: line('error') }
}

/** Start everything; on failure, stops what had already started. */
export async function startExampleApp(env: Env, options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const log = options.log ?? ((l: string) => console.log(l))
  const settings = { ...readSettings(env), ...(options.dataDir ? { dataDir: options.dataDir } : {}) }
  const cleanup: Array<() => Promise<unknown>> = []
  const close = async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined)
  }

  try {
    // Listen first: with PORT=0 the base URL (and so every redirect URI) needs the chosen port.
    const server = http.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(settings.port, settings.host, resolve)
    })
    cleanup.push(() => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    })
    const port = (server.address() as AddressInfo).port
    const baseUrl = settings.baseUrl ?? `http://localhost:${port}`

    let idp: DevIdp | undefined
    if (!settings.oidcIssuer) {
      idp = await startDevIdp({
        host: settings.host,
        port: settings.port === 0 ? 0 : settings.port + 1,
        appBaseUrl: baseUrl,
        loginClient: {
          clientId: settings.oidcClientId ?? DEV_LOGIN_CLIENT_ID,
          clientSecret: settings.oidcClientSecret ?? (await devClientSecret(settings.dataDir)).value,
        },
      })
      cleanup.push(() => idp!.close())
    }

    const key = await encryptionKey(settings.authdockKey, settings.dataDir)
    const secret = await sessionSecret(settings.sessionSecret, settings.dataDir)
    for (const [name, s] of [
      ['AUTHDOCK_KEY', key],
      ['SESSION_SECRET', secret],
    ] as const) {
      if (s.generated)
        log(
          `WARNING: ${name} is not set; generated one into ${s.file}. Back it up${name === 'AUTHDOCK_KEY' ? ' (without it the stored secrets cannot be decrypted)' : ''} and set ${name} in production.`,
        )
    }
    await mkdir(settings.dataDir, { recursive: true })
    if (!settings.demoUsers)
      log(
        'Demo users are off (OIDC_ISSUER names a real provider): nobody can log in until this host maps users. Set DEMO_USERS=1 to try alice and bob anyway.',
      )

    let redis: ReturnType<typeof createClient> | undefined
    if (settings.redisUrl) {
      redis = createClient({ url: settings.redisUrl })
      redis.on('error', (err: Error) => log(`[redis] ${err.message}`))
      await redis.connect()
      cleanup.push(() => redis!.quit())
    }

    // The sink speaks STARTTLS with a certificate of a dev CA that this app (and nothing else) trusts.
    const devTls = createDevTls()
    // MAIL_CA_FILE adds the CA of a mail server with a private CA.
    const trustedCas = settings.mailCaFile
      ? [...devTls.trusted, readFileSync(settings.mailCaFile, 'utf8')]
      : devTls.trusted
    const sink = await startSmtpSink({
      host: '127.0.0.1',
      port: settings.port === 0 ? 0 : settings.port + 2,
      introspection: idp?.introspection,
      tls: devTls,
    })
    cleanup.push(() => sink.close())
    const accounts = await MailAccounts.open(join(settings.dataDir, 'mail-accounts.json'), key.value)

    // The example's own pages and its page frame; authdock's pages render inside that frame too.
    const pages = new ExamplePages(() => dock)
    const dock = await createAuthdock({
      baseUrl,
      database: settings.database,
      encryptionKey: key.value,
      session: { secret: secret.value, redis, redisPrefix: settings.redisPrefix },
      oidc: {
        label: idp ? 'Dev identity provider' : undefined,
        issuer: settings.oidcIssuer ?? idp!.issuer,
        clientId: settings.oidcClientId ?? idp!.loginClient.clientId,
        clientSecret: settings.oidcClientSecret ?? (idp ? idp.loginClient.clientSecret : undefined),
        scope: settings.oidcScope,
        claim: settings.oidcClaim,
      },
      users: userCallbacks(settings.demoUsers ? DEMO_USERS : []),
      admin: {
        guard: isAdmin,
        profileUsers: ({ profileId }) => accounts.usersOf(profileId),
        actor: (req) => (req.user as { email?: string } | undefined)?.email,
      },
      tokens: settings.httpTimeoutMs === undefined ? undefined : { httpTimeoutMs: settings.httpTimeoutMs },
      // "Test connection" in the admin verifies the sink against the dev CA (public CAs stay trusted).
      mail: { tls: { ca: trustedCas } },
      // Admin and login pages inside the example's frame (its navigation); its stylesheet is
      // served from this origin, so their Content-Security-Policy admits 'self' for styles.
      views: { layout: (page) => pages.layout(page), csp: { styleSrc: ["'self'"] } },
      logger: consoleLogger(log),
    })
    cleanup.push(() => dock.close())
    // Show a newcomer what happens; event payloads carry ids and codes, never secrets (README "Events").
    // One listener for many names: the untyped view of the emitter (each name's payload differs).
    const events: EventEmitter = dock.events
    for (const name of EVENTS) events.on(name, (payload: unknown) => log(`[event] ${name} ${JSON.stringify(payload)}`))
    if (idp) await seedDevMailbox({ dock, idp, baseUrl, sink, accounts })

    const app = express()
    app.disable('x-powered-by')
    // Behind a reverse proxy every client would otherwise share the proxy's address (and its
    // password-login throttle); only the proxies named here may say who the client is.
    if (settings.trustProxy !== undefined) app.set('trust proxy', settings.trustProxy)
    // Before dock.router: a stylesheet needs no session.
    app.use('/assets', express.static(examplePublicDir, { index: false }))
    // dock.router also remembers a `?lang=` choice; the example's pages ask dock.language(req).
    app.use(dock.router)
    app.use(homeRouter({ dock, pages, idpUrl: idp?.issuer, smtpAddress: `${sink.host}:${sink.port}` }))
    app.use(mailRouter({ dock, pages, accounts, sink, trustedCas }))
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('Not found')
    })
    // The example's own errors (FORBIDDEN, NOT_FOUND, CSRF_INVALID …) as authdock shows its own.
    app.use(dock.errorHandler)
    server.on('request', app)

    return { url: baseUrl, idpUrl: idp?.issuer, smtpUrl: `smtp://${sink.host}:${sink.port}`, dock, sink, devTls, close }
  } catch (err) {
    await close()
    throw err
  }
}
