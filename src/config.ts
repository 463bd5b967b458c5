/**
 * The one place where `createAuthdock` options are declared, defaulted and validated. Everything
 * else reads the frozen {@link ResolvedConfig}; no other module knows a default.
 */
import { z } from 'zod'
import { AuthdockError } from './errors.js'
import type { Request } from 'express'
import type { LookupFunction } from 'node:net'
import { existsSync } from 'node:fs'
import type { LayoutFunction } from './http/layout.js'

/**
 * A host user as authdock sees it. `id` must be stable: a non-empty string or a number (a database
 * key). authdock keeps it in the session as given and hands it back to `findById` in the same form;
 * where it records the id (audit, events, remembered devices) it uses its string form.
 *
 * @example
 * findById: ({ id }) => db.users.findById(id) // { id: 2, email: 'alice@example.com', displayName: 'Alice' }
 */
export interface AuthdockUser {
  id: string | number
  username?: string
  displayName?: string
  [key: string]: unknown
}

/**
 * Host callbacks that map identities to the host's users. Each receives one object.
 *
 * @example
 * const users: UserCallbacks = {
 *   findByClaim: ({ value }) => db.users.findByEmail(value),
 *   findByUsername: ({ username }) => db.users.findByLogin(username),
 *   findById: ({ id }) => db.users.findById(id),
 * }
 */
export interface UserCallbacks {
  /** Find the user whose identifying claim has this value at this provider; null when none. */
  findByClaim(input: {
    providerId: string
    issuer: string
    claim: string
    value: string
    claims: Record<string, unknown>
  }): Promise<AuthdockUser | null> | AuthdockUser | null
  findByUsername(input: { username: string }): Promise<AuthdockUser | null> | AuthdockUser | null
  /** `id` as the host gave it in the user object (a number stays a number). */
  findById(input: { id: string | number }): Promise<AuthdockUser | null> | AuthdockUser | null
  /** Check a password. Only called for users whose password login is enabled. */
  verifyPassword?(input: { user: AuthdockUser; password: string }): Promise<boolean> | boolean
  /** Is password login enabled for this user? Missing callback means: never. */
  isPasswordLoginEnabled?(input: { user: AuthdockUser }): Promise<boolean> | boolean
}

/**
 * A pino-compatible logger; authdock never passes secrets to it.
 *
 * @example
 * import pino from 'pino'
 * const dock = await createAuthdock({ ...options, logger: pino() })
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
}

const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', { message: `must be a function (${what})` })

const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '::1' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)

/** A PEM certificate as text or as the Buffer `readFileSync` gives. */
const pem = z.union([
  z.string().refine((v) => v.includes('-----BEGIN CERTIFICATE-----'), { message: 'must be a PEM certificate' }),
  z.instanceof(Buffer),
])

/** http:// is allowed only for loopback hosts (tests, the example app); everything else needs https. */
export function isSecureOrLoopbackUrl(value: string): boolean {
  try {
    const url = new URL(value)
    if (url.protocol === 'https:') return true
    return url.protocol === 'http:' && isLoopbackHost(url.hostname)
  } catch {
    return false
  }
}

/** Entra's multi-tenant endpoints: their metadata issuer is a template, never equal to a token's. */
const ENTRA_MULTI_TENANT = /^https:\/\/login\.microsoftonline\.com\/(common|organizations|consumers)(\/|$)/i

const httpsOrLoopback = z
  .string()
  .url()
  .refine(isSecureOrLoopbackUrl, { message: 'must be an https URL (http only for loopback hosts)' })

const path = z
  .string()
  .regex(/^\/[A-Za-z0-9/_.-]*$/, { message: 'must be a path starting with /' })
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p))

/** A cookie name as RFC 6265 allows it (an HTTP token): anything else would break the Set-Cookie header. */
const cookieName = (fallback: string) =>
  z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, {
      message: "must be a cookie name: letters, digits and !#$%&'*+-.^_`|~ only",
    })
    .default(fallback)

/** CSP source expressions: one per entry, nothing that could end the directive or the header. */
const cspSources = z
  .array(
    z
      .string()
      // eslint-disable-next-line no-control-regex -- control characters would split the header
      .regex(/^[^\s;,\u0000-\u001f\u007f]+$/, {
        message: 'must be CSP source expressions, one per entry (e.g. "\'self\'", "https://cdn.example.com")',
      }),
  )
  .default([])

const base64Key = z.string().refine((k) => Buffer.from(k, 'base64').length === 32, {
  message: 'must be 32 bytes, base64 encoded (e.g. `openssl rand -base64 32`)',
})

export const providerSchema = z.object({
  /** Stable id of this provider; part of its callback path and of the user key. */
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { message: 'must be lowercase letters, digits, - or _' })
    .default('default'),
  /** Name on the provider chooser and the retry page. */
  label: z.string().min(1).max(80).optional(),
  /** When false, /auth/login shows the password form instead. */
  active: z.boolean().default(true),
  issuer: httpsOrLoopback
    .refine((url) => !ENTRA_MULTI_TENANT.test(url), {
      message:
        "must name your tenant (https://login.microsoftonline.com/<tenant-id>/v2.0): the discovery of /common, /organizations and /consumers names the issuer '{tenantid}', which no ID token matches",
    })
    // OpenID Connect issuers have no query or fragment; one here would aim discovery at another path.
    .refine((url) => !/[?#]/.test(url), {
      message: 'must not contain a query (?) or fragment (#): an OpenID Connect issuer has neither',
    }),
  clientId: z.string().min(1),
  /** Omit for a public client (PKCE alone). */
  clientSecret: z.string().min(1).optional(),
  /** When the client secret expires; drives the expiry warnings. */
  clientSecretExpiresAt: z.coerce.date().optional(),
  /**
   * How the client authenticates at the token endpoint: `client_secret` (the secret above, or none)
   * or `private_key_jwt` (a client assertion signed with a certificate that authdock generates and
   * keeps; upload it at the provider from the admin's certificates page).
   */
  clientAuth: z
    .object({
      kind: z.enum(['client_secret', 'private_key_jwt']).default('client_secret'),
      /** Validity of the certificate generated at the first start (days). */
      certificateValidityDays: z.number().int().min(1).max(3650).default(365),
      /** The assertion's `aud`: the token endpoint (Entra needs it; Keycloak and oidc-provider accept it) or the issuer. */
      audience: z.enum(['token_endpoint', 'issuer']).default('token_endpoint'),
    })
    .prefault({}),
  /** Space-separated; `openid` is added when missing. */
  scope: z
    .string()
    .default('openid profile email')
    .transform((s) => {
      const parts = s.split(/\s+/).filter(Boolean)
      return (parts.includes('openid') ? parts : ['openid', ...parts]).join(' ')
    }),
  /** The claim that identifies a user (read from the ID token, else from UserInfo). */
  claim: z.string().min(1).default('email'),
  /** Label of that claim in the host's user admin. */
  claimLabel: z.string().min(1).default('E-Mail'),
  /** A login not finished within this time lands on the retry page. */
  loginTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** Allowed ID token signature algorithms (asymmetric only). */
  idTokenAlgorithms: z
    .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
    .min(1)
    .default(['RS256', 'PS256', 'ES256', 'EdDSA', 'RS384', 'RS512', 'PS384', 'PS512', 'ES384', 'ES512']),
  /** Extra authorization request parameters (e.g. `{ domain_hint: 'example.com' }`). */
  authorizationParams: z.record(z.string(), z.string()).default({}),
  /** Keep the refresh token for silent re-login (offline_access is added when the provider lists it). */
  silentLogin: z.boolean().default(true),
})

export const optionsSchema = z.object({
  /** Public origin of the host; redirect URIs derive from it. */
  baseUrl: z
    .string()
    .url()
    .refine(isSecureOrLoopbackUrl, { message: 'must be an https URL (http only for loopback hosts)' })
    .transform((u) => u.replace(/\/+$/, '')),
  /** `sqlite:PATH` (embedded default) or `postgres://…`. */
  database: z
    .string()
    .refine((d) => d.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(d), {
      message: 'must be `sqlite:PATH` or a `postgres://` URL',
    })
    .default('sqlite:./data/authdock.db'),
  /** 32-byte base64 key, or a list (newest first) so keys can be rotated. */
  encryptionKey: z
    .union([base64Key, z.array(base64Key).min(1)], {
      error: (issue) =>
        `${issue.input === undefined ? 'is required' : 'must be a string'}: 32 bytes, base64 encoded (e.g. \`openssl rand -base64 32\`), or a list of them`,
    })
    .transform((k) => (Array.isArray(k) ? k : [k])),
  session: z.object({
    /** Secret(s) that sign the session cookie; a list allows rotation (newest first). */
    secret: z.union([z.string().min(16), z.array(z.string().min(16)).min(1)]),
    cookieName: cookieName('authdock.sid'),
    /** Lifetime of a session from its last change (the login): cookie and stored session expire together. */
    maxAgeMs: z
      .number()
      .int()
      .positive()
      .default(8 * 60 * 60_000),
    /**
     * A connected node-redis client; sessions then live in Redis (for several instances). While
     * it is not ready, requests that need a session get 503 SESSION_STORE_UNAVAILABLE at once.
     */
    redis: z
      .custom<object>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          ['get', 'set', 'del'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function') &&
          // node-redis: isOpen stays false until connect() is called; such a client never answers.
          (v as { isOpen?: unknown }).isOpen !== false,
        { message: 'must be a connected node-redis client (`const c = createClient({ url }); await c.connect()`)' },
      )
      .optional(),
    redisPrefix: z.string().default('authdock:sess:'),
    /** Longest wait for Redis per session read or write; then 503 SESSION_STORE_UNAVAILABLE. */
    redisTimeoutMs: z.number().int().positive().default(500),
    /**
     * Keep sessions read from Redis in memory while Redis tracks them (a second connection with
     * RESP3 client tracking pushes every change): a logged-in request then needs no Redis round
     * trip. A change made by another instance is seen as soon as Redis's push arrives; false reads
     * every session from Redis on every request.
     */
    redisCache: z.boolean().default(true),
    /** Secure cookies; defaults to true when baseUrl is https. */
    secureCookie: z.boolean().optional(),
  }),
  /** One OpenID Connect provider, or several (a chooser page is shown). Omit for password login only. */
  oidc: z
    .union([providerSchema, z.array(providerSchema)])
    .optional()
    .transform((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p])),
  users: z.object({
    findByClaim: fn<UserCallbacks['findByClaim']>('findByClaim'),
    findByUsername: fn<UserCallbacks['findByUsername']>('findByUsername'),
    findById: fn<UserCallbacks['findById']>('findById'),
    verifyPassword: fn<NonNullable<UserCallbacks['verifyPassword']>>('verifyPassword').optional(),
    isPasswordLoginEnabled:
      fn<NonNullable<UserCallbacks['isPasswordLoginEnabled']>>('isPasswordLoginEnabled').optional(),
  }),
  /** Where the routers live (the host mounts `dock.router` at its root). */
  paths: z
    .object({
      auth: path.default('/auth'),
      admin: path.default('/admin/oauth2-profiles'),
      adminApi: path.default('/admin/api/oauth2-profiles'),
      oauth2Redirect: path.default('/oauth2redirect'),
      health: path.default('/healthz'),
      /** Audit trail admin page (HTML, CSV export). */
      audit: path.default('/admin/audit'),
      /** Audit trail as JSON. */
      auditApi: path.default('/admin/api/audit'),
      /** Where a login lands when no returnTo was given. */
      afterLogin: path.default('/'),
      afterLogout: path.default('/'),
      /** Certificates of profiles and login providers (HTML admin). */
      credentials: path.default('/admin/credentials'),
      /** The same as JSON. */
      credentialsApi: path.default('/admin/api/credentials'),
      /** Public JWKS of each owner's certificates (for a provider's "JWKS URL"); public keys only. */
      jwks: path.default('/.well-known/authdock'),
      /** Login providers admin (HTML), next to the OAuth2 profiles. */
      loginProviders: path.default('/admin/login-providers'),
      /** Login providers admin as JSON. */
      loginProvidersApi: path.default('/admin/api/login-providers'),
    })
    .prefault({}),
  admin: z
    .object({
      /** Admits a request to the admin routers. Without it, every admin request is refused. */
      guard: fn<(req: Request) => boolean | Promise<boolean>>('guard').optional(),
      /**
       * Who uses a profile (mail accounts …); a profile in use cannot be deleted. Gets the id and the
       * name, so a host that keys its mail accounts by the profile's name finds them too.
       */
      profileUsers:
        fn<(input: { profileId: string; profileName: string }) => string[] | Promise<string[]>>(
          'profileUsers',
        ).optional(),
      /** Name of the acting admin for the audit trail (default: the user's username, displayName, name or email). */
      actor: fn<(req: Request) => string | undefined>('actor').optional(),
    })
    .prefault({}),
  tokens: z
    .object({
      /** Refresh this long before an access token expires. */
      refreshMarginMs: z
        .number()
        .int()
        .nonnegative()
        .default(2 * 60_000),
      /** Lifetime assumed when a token response has no `expires_in`. */
      defaultExpiresInSec: z.number().int().positive().default(600),
      /**
       * Timeout of every request to a provider: login (discovery, token exchange, UserInfo, JWKS)
       * and token refresh. A provider that is down or slow fails within it, never hangs a request.
       */
      httpTimeoutMs: z.number().int().positive().default(5_000),
      /** Outbound proxy for every call to a provider, login included (a profile may set its own for its refreshes). */
      proxy: z.string().url().optional(),
      /** How long a refresh lock may be held before another instance takes over. */
      lockTimeoutMs: z.number().int().positive().default(30_000),
      /** Refresh tokens unused for this long get a keep-alive refresh (Entra expires them at 90 days). */
      keepAliveAfterMs: z
        .number()
        .int()
        .positive()
        .default(14 * 24 * 60 * 60_000),
      /** How often the keep-alive job looks for such refresh tokens (once across instances). */
      keepAliveIntervalMs: z
        .number()
        .int()
        .positive()
        .default(60 * 60_000),
      /** At most this many keep-alive refreshes at once, so a pass over thousands of profiles does not burst at the provider. */
      keepAliveConcurrency: z.number().int().positive().max(64).default(4),
      /** Each keep-alive refresh waits a random 0…this long first (shortened so the pass fits in half its interval). */
      keepAliveJitterMs: z.number().int().nonnegative().default(250),
      /** After a failed refresh, wait this long before the next try; doubled per failure. */
      backoffBaseMs: z.number().int().positive().default(15_000),
      /** Upper bound of that wait. */
      backoffMaxMs: z
        .number()
        .int()
        .positive()
        .default(30 * 60_000),
    })
    // A refresh that outlives its lock lets another instance refresh too: both spend one refresh token.
    .refine((t) => t.lockTimeoutMs > t.httpTimeoutMs, {
      path: ['lockTimeoutMs'],
      message:
        'must be greater than tokens.httpTimeoutMs: a refresh slower than its lock lets a second refresh spend the same refresh token',
    })
    .prefault({}),
  /** Mail servers that the admin's "Test connection" logs in to (always over verified TLS). */
  mail: z
    .object({
      tls: z
        .strictObject(
          {
            /** Trusted CA certificates (PEM) for mail servers with a private CA; replaces Node's list for these connections. */
            ca: z.union([pem, z.array(pem).min(1)]).optional(),
          },
          // No switch turns verification off: a bearer token crosses these connections.
          {
            error: (issue) =>
              issue.code === 'unrecognized_keys'
                ? `accepts only \`ca\`; certificates are always verified (got ${issue.keys.join(', ')})`
                : undefined,
          },
        )
        .prefault({}),
    })
    .prefault({}),
  /** Login behaviour beyond the providers: silent re-login and password throttling. */
  login: z
    .object({
      /** Long-lived HttpOnly cookie that ties a browser to its stored refresh token. */
      deviceCookieName: cookieName('authdock.device'),
      /** How long a browser stays remembered for silent re-login. */
      rememberDeviceMs: z
        .number()
        .int()
        .positive()
        .default(30 * 24 * 60 * 60_000),
      /**
       * Password attempts allowed per window. Each attempt is counted before its password is
       * checked; a successful login takes its own attempt back.
       */
      passwordThrottle: z
        .object({
          /** Whole seconds: the counters keep their expiry in seconds. */
          windowMs: z
            .number()
            .int()
            .positive()
            .multipleOf(1000, { message: 'must be whole seconds (a multiple of 1000)' })
            .default(15 * 60_000),
          /** Per account from all addresses together: bounds the guesses of a distributed attack. */
          maxPerAccount: z.number().int().positive().default(30),
          /** Per account from one client address: that address alone is refused beyond it. */
          maxPerAccountAndAddress: z.number().int().positive().default(5),
          /** Per client address across all accounts (password spraying). */
          maxPerAddress: z.number().int().positive().default(20),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The readiness report at `paths.health`/ready. */
  health: z
    .object({
      /**
       * Who sees the report's detail (provider ids, profile names and ids, token state, expiry
       * dates, error codes): `admin` (callers the admin guard admits) or `public` (anyone). Everyone
       * else gets the status and one boolean per component.
       */
      detail: z.enum(['admin', 'public']).default('admin'),
      /** How long a provider's discovery probe answers every report, so a flood of probes stays one request. */
      probeCacheMs: z.number().int().nonnegative().default(30_000),
    })
    .prefault({}),
  /** Audit trail: entries older than `retentionDays` are pruned by the daily check. */
  audit: z
    .object({
      retentionDays: z.number().int().positive().default(365),
    })
    .prefault({}),
  /**
   * Prometheus metrics, only when the host passes its prom-client `Registry` (prom-client is then an
   * optional peer dependency the host installs).
   */
  metrics: z
    .object({
      registry: z
        .custom<object>(
          (v) =>
            typeof v === 'object' &&
            v !== null &&
            typeof (v as { registerMetric?: unknown }).registerMetric === 'function',
          {
            message: 'must be a prom-client Registry',
          },
        )
        .optional(),
    })
    .prefault({}),
  /** Login providers managed in the admin (those in `oidc` stay as configured). */
  loginProviders: z
    .object({
      /**
       * How long an instance trusts its list of admin-managed providers before it asks the store
       * whether they changed (one small read); a change made on another instance counts from then.
       */
      refreshMs: z.number().int().nonnegative().default(2_000),
    })
    .prefault({}),
  /** `auto` picks from Accept-Language. */
  language: z.enum(['auto', 'en', 'de']).default('auto'),
  /** A folder whose templates override the package's views (same file names). */
  viewsDir: z.string().optional(),
  /** How authdock's pages sit in the host's site: its layout and the sources its pages load. */
  views: z
    .object({
      /**
       * The host's page frame: a path to an EJS layout (absolute, or relative to the working
       * directory) that outputs `<%- body %>`, or a function that returns the whole page. Every page
       * of authdock (admin, login, errors) renders inside it. See README "Your layout".
       */
      layout: z
        .custom<string | LayoutFunction>((v) => typeof v === 'function' || (typeof v === 'string' && v !== ''), {
          message: 'must be the path of an EJS layout or a function (layout)',
        })
        .refine((v) => typeof v === 'function' || existsSync(v), {
          message: 'must name an existing EJS file (absolute, or relative to the working directory)',
        })
        .optional(),
      /**
       * Sources the pages' Content-Security-Policy admits besides their own nonce: the host's
       * stylesheet, scripts, images and fonts (`'self'`, `https://cdn.example.com`).
       */
      csp: z
        .object({
          styleSrc: cspSources,
          scriptSrc: cspSources,
          imgSrc: cspSources,
          fontSrc: cspSources,
          connectSrc: cspSources,
        })
        .prefault({}),
    })
    .prefault({}),
  logger: z
    .custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).warn === 'function', {
      message: 'must be a pino-compatible logger (debug, info, warn, error)',
    })
    .default(quietLogger),
  /** Injectable clock (tests move it). */
  now: fn<() => number>('now').default(() => Date.now),
  /** Injectable fetch for calls to providers. */
  fetch: fn<typeof fetch>('fetch').optional(),
  /**
   * Injectable DNS lookup (node's `dns.lookup` signature) for every outbound connection: token
   * URLs, discovery, proxies, mail hosts. Whatever it answers passes the outbound address check.
   */
  lookup: fn<LookupFunction>('lookup').optional(),
})

/**
 * The options of createAuthdock (README "Options"): what the host passes, before defaults.
 *
 * @example
 * const options: AuthdockOptions = { baseUrl, encryptionKey, session: { secret }, users }
 * const dock = await createAuthdock(options)
 */
export type AuthdockOptions = z.input<typeof optionsSchema>
/**
 * The options after validation, with every default filled in and frozen (`dock.config`).
 *
 * @example
 * const { paths, session } = dock.config // ResolvedConfig: every default filled in, frozen
 */
export type ResolvedConfig = Readonly<z.output<typeof optionsSchema>>
/**
 * One resolved `oidc` provider (id, label, issuer, claim …).
 *
 * @example
 * const issuers = dock.config.oidc.map((p: ProviderConfig) => p.issuer)
 */
export type ProviderConfig = ResolvedConfig['oidc'][number]

/**
 * Validate options into a frozen config. Throws `AuthdockError('CONFIG_INVALID')` naming every
 * offending option and what it expects. The caller's object is never mutated.
 */
export function resolveConfig(options: AuthdockOptions): ResolvedConfig {
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) throw invalidOptions(parsed.error)
  const config = parsed.data
  const ids = new Set<string>()
  for (const p of config.oidc) {
    if (ids.has(p.id)) {
      throw new AuthdockError(
        'CONFIG_INVALID',
        `Invalid authdock options: "oidc.id" "${p.id}" is used twice; give each provider its own id`,
        {
          fields: { 'oidc.id': 'must be unique' },
        },
      )
    }
    ids.add(p.id)
    // A secret beside the certificate would never be sent, yet keep its expiry warnings going.
    if (p.clientAuth.kind === 'private_key_jwt' && p.clientSecret) {
      throw new AuthdockError(
        'CONFIG_INVALID',
        `Invalid authdock options: "oidc.clientSecret" of provider "${p.id}" must be omitted with "oidc.clientAuth.kind" private_key_jwt: the certificate replaces it`,
        {
          fields: { 'oidc.clientSecret': 'must be omitted with oidc.clientAuth.kind private_key_jwt' },
        },
      )
    }
  }
  return deepFreeze(config)
}

/**
 * Options of `openTokenProvider`, the token-only entry for mail workers: the database, the keys and
 * the token options of {@link optionsSchema} itself (same defaults), plus whether to run the keep-alive.
 */
export const tokenWorkerOptionsSchema = optionsSchema
  .pick({ database: true, encryptionKey: true, tokens: true, logger: true, now: true, fetch: true })
  .extend({
    /** Run the keep-alive job in this process too (once across instances by a lease); the web instances run it. */
    keepAlive: z.boolean().default(false),
  })

/**
 * Options of openTokenProvider (README "A mail worker").
 *
 * @example
 * const options: TokenWorkerOptions = { database: process.env.AUTHDOCK_DATABASE!, encryptionKey: process.env.AUTHDOCK_KEY!, keepAlive: true }
 * const tokens = await openTokenProvider(options)
 */
export type TokenWorkerOptions = z.input<typeof tokenWorkerOptionsSchema>
export type TokenWorkerConfig = Readonly<z.output<typeof tokenWorkerOptionsSchema>>

/** Validate worker options into a frozen config; throws `AuthdockError('CONFIG_INVALID')` as {@link resolveConfig} does. */
export function resolveTokenWorkerConfig(options: TokenWorkerOptions): TokenWorkerConfig {
  const parsed = tokenWorkerOptionsSchema.safeParse(options)
  if (!parsed.success) throw invalidOptions(parsed.error)
  return deepFreeze(parsed.data)
}

/** One CONFIG_INVALID naming every offending option and what it expects. */
function invalidOptions(error: z.ZodError): AuthdockError {
  const fields: Record<string, string> = {}
  for (const issue of error.issues) {
    const name = issue.path.length ? issue.path.join('.') : '(options)'
    fields[name] ??= issue.message
  }
  const list = Object.entries(fields)
    .map(([k, v]) => `"${k}" ${v}`)
    .join('; ')
  return new AuthdockError('CONFIG_INVALID', `Invalid authdock options: ${list}`, { fields, expose: false })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    // Host-provided objects (redis client, logger) are not ours to freeze.
    if (Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value)) return value
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
