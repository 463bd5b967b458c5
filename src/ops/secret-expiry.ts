/**
 * Client-secret expiry: which secrets (the login clients' and every OAuth2 profile's) run out
 * soon, and how loudly to say so. Providers such as Entra issue secrets for at most two years; when
 * one expires every login or every mailbox stops at once, so we warn well before.
 *
 * The rule, with `daysLeft = floor((expiresAt - now) / 24 h)`:
 *
 * | daysLeft        | level   | e.g.          |
 * |-----------------|---------|---------------|
 * | ≥ 90            | none    | 91, 90        |
 * | 30 … 89         | info    | 89, 30        |
 * | 7 … 29          | warning | 29, 7         |
 * | 0 … 6           | error   | 6, 0          |
 * | < 0 (expired)   | error   | −1            |
 *
 * `daysLeft` 0 means less than a full day is left (or the secret expires this very moment); a
 * secret whose expiry lies in the past by any amount has a negative `daysLeft` and `expired: true`.
 */
import type { DockContext } from '../context.js'
import type { ResolvedConfig } from '../config.js'
import type { LoginProviderRecord, Profile, Store } from '../store/types.js'
import { certificateSecrets } from '../credentials/expiry.js'

export const DAY_MS = 24 * 60 * 60 * 1000

export type FindingLevel = 'info' | 'warning' | 'error'

/**
 * One secret that expires soon or has expired. Never carries the secret itself.
 *
 * @example
 * dock.events.on('secret.expiring', (f: SecretFinding) => mail(admins, `${f.name}: ${f.daysLeft} days left`))
 */
export interface SecretFinding {
  /** 'login-client': a login provider's client secret (config.oidc[] or managed in the admin); 'profile': an OAuth2 profile's. */
  kind: 'login-client' | 'profile'
  /** Provider id or profile id. */
  id: string
  /** Provider label (or id) or profile name, for people. */
  name: string
  /** floor((expiresAt − now) / day); negative when expired. */
  daysLeft: number
  level: FindingLevel
  expired: boolean
  expiresAt: Date
  /** Set when it is the owner's active certificate (not its secret) that expires. */
  certificate?: { id: string; thumbprint: string }
}

/** A secret with a known expiry date, before the rule is applied. */
export interface ExpiringSecret {
  kind: SecretFinding['kind']
  id: string
  name: string
  expiresAt: Date
  certificate?: SecretFinding['certificate']
}

/** Whole days left, rounded down: 89 days and 23 hours is 89. */
export function daysLeft(expiresAt: Date, now: number): number {
  return Math.floor((expiresAt.getTime() - now) / DAY_MS)
}

/** The level for a number of days left, or null when it is not worth mentioning. */
export function levelFor(days: number): FindingLevel | null {
  if (days < 7) return 'error'
  if (days < 30) return 'warning'
  if (days < 90) return 'info'
  return null
}

/** Apply the rule to secrets; the result is sorted most urgent first. */
export function evaluateSecrets(secrets: ExpiringSecret[], now: number): SecretFinding[] {
  const findings: SecretFinding[] = []
  for (const s of secrets) {
    if (Number.isNaN(s.expiresAt.getTime())) continue
    const days = daysLeft(s.expiresAt, now)
    const level = levelFor(days)
    if (level) findings.push({ ...s, daysLeft: days, level, expired: s.expiresAt.getTime() <= now })
  }
  return findings.sort((a, b) => a.daysLeft - b.daysLeft || a.name.localeCompare(b.name))
}

/** The login clients' secrets that have an expiry date in the config. */
export function loginClientSecrets(config: Pick<ResolvedConfig, 'oidc'>): ExpiringSecret[] {
  return config.oidc
    .filter((p) => p.clientSecretExpiresAt)
    .map((p) => ({
      kind: 'login-client' as const,
      id: p.id,
      name: p.label ?? p.id,
      expiresAt: p.clientSecretExpiresAt!,
    }))
}

/** Every profile's secret that has an expiry date. */
export function profileSecrets(profiles: Profile[]): ExpiringSecret[] {
  return profiles
    .filter((p) => p.secretExpiresAt)
    .map((p) => ({ kind: 'profile' as const, id: p.id, name: p.name, expiresAt: p.secretExpiresAt! }))
}

/** The secrets of login providers managed in the admin that have an expiry date (active or not: a provider may be switched on again). */
export function storedLoginClientSecrets(providers: LoginProviderRecord[]): ExpiringSecret[] {
  return providers
    .filter((p) => p.secretExpiresAt && p.hasClientSecret)
    .map((p) => ({ kind: 'login-client' as const, id: p.id, name: p.label, expiresAt: p.secretExpiresAt! }))
}

/** Every client secret with a known expiry date: login clients (config and store) and profiles. */
export async function expiringSecrets(ctx: {
  config: Pick<ResolvedConfig, 'oidc'>
  store: Pick<Store, 'profiles' | 'loginProviders'>
}): Promise<ExpiringSecret[]> {
  const [profiles, providers] = await Promise.all([ctx.store.profiles.list(), ctx.store.loginProviders.list()])
  return [...loginClientSecrets(ctx.config), ...storedLoginClientSecrets(providers), ...profileSecrets(profiles)]
}

/**
 * Findings for the login clients (from the config and the store), every profile (from the store) and their active certificates.
 *
 * @example
 * for (const f of await checkSecrets({ config: dock.config, store, now: Date.now })) console.log(f.name, f.daysLeft, f.level)
 */
export async function checkSecrets(ctx: {
  config: Pick<ResolvedConfig, 'oidc'>
  store: Pick<Store, 'profiles' | 'loginProviders' | 'credentials'>
  now: () => number
}): Promise<SecretFinding[]> {
  const [profiles, providers, certificates] = await Promise.all([
    ctx.store.profiles.list(),
    ctx.store.loginProviders.list(),
    ctx.store.credentials.listActive(),
  ])
  const profileNames = new Map(profiles.map((p) => [p.id, p.name]))
  const providerNames = new Map([
    ...ctx.config.oidc.map((p) => [p.id, p.label ?? p.id] as const),
    ...providers.map((p) => [p.id, p.label] as const),
  ])
  const nameOf = (c: { ownerKind: string; ownerId: string }) =>
    (c.ownerKind === 'profile' ? profileNames.get(c.ownerId) : providerNames.get(c.ownerId)) ?? null
  // A stored secret stays when its owner switches to a certificate, but it is never sent: its
  // expiry warns no one.
  const sent = async (secret: ExpiringSecret) =>
    (await ctx.store.credentials.method({
      kind: secret.kind === 'profile' ? 'profile' : 'login-provider',
      id: secret.id,
    })) !== 'private_key_jwt'
  const stored = [...storedLoginClientSecrets(providers), ...profileSecrets(profiles)]
  const used = await Promise.all(stored.map(sent))
  const secrets = [
    ...loginClientSecrets(ctx.config),
    ...stored.filter((_, i) => used[i]),
    ...certificateSecrets(certificates, nameOf),
  ]
  return evaluateSecrets(secrets, ctx.now())
}

/** The exit code of `authdock check-secrets`: 0 nothing or info, 1 a warning, 2 an error. */
export function exitCodeFor(findings: SecretFinding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.level === 'error')) return 2
  if (findings.some((f) => f.level === 'warning')) return 1
  return 0
}

/** The log line's facts: ids, names and dates only. */
export function findingLogFields(f: SecretFinding): Record<string, unknown> {
  return {
    kind: f.kind,
    id: f.id,
    name: f.name,
    daysLeft: f.daysLeft,
    level: f.level,
    expiresAt: f.expiresAt.toISOString(),
    ...(f.certificate ? { certificate: f.certificate.thumbprint } : {}),
  }
}

/**
 * Tell the host about each finding: a log line at its level (info/warn/error) and a
 * `secret.expiring` event with the finding.
 */
export function reportFindings(ctx: Pick<DockContext, 'logger' | 'events'>, findings: SecretFinding[]): void {
  for (const f of findings) {
    const what = f.certificate ? 'client certificate' : 'client secret'
    const msg = f.expired ? `authdock: a ${what} has expired` : `authdock: a ${what} expires soon`
    if (f.level === 'error') ctx.logger.error(findingLogFields(f), msg)
    else if (f.level === 'warning') ctx.logger.warn(findingLogFields(f), msg)
    else ctx.logger.info(findingLogFields(f), msg)
    ctx.events.emit('secret.expiring', { ...f })
  }
}
