/**
 * The secret-expiry banner on every admin page. Each instance computes it itself (the daily check
 * runs on one instance only, but every instance serves admin pages), from a short cache so that a
 * busy admin does not read every profile on every page, and an edited expiry date shows soon.
 */
import type { Request } from 'express'
import type { DockContext } from '../context.js'
import type { PageLocals } from '../http/render.js'
import type { Translate } from '../http/i18n.js'
import { checkSecrets, type SecretFinding } from './secret-expiry.js'

/** How long computed findings are reused for banners. */
export const BANNER_CACHE_MS = 60_000

/**
 * At most this many secrets get a banner of their own (the most urgent); the rest are counted in
 * one more, so a page's banners do not grow with the number of profiles.
 */
export const BANNER_MAX = 5

/** The banner text for one finding, in the request's language. */
export function bannerText(t: Translate, f: SecretFinding): string {
  const kind = t(`ops.secrets.kind.${f.kind}`)
  const vars = {
    kind,
    name: f.name,
    days: Math.abs(f.daysLeft),
    date: f.expiresAt.toISOString().slice(0, 10),
    thumbprint: f.certificate?.thumbprint ?? '',
  }
  const texts = f.certificate ? 'certificates.banner' : 'ops.secrets.banner'
  if (f.expired) return t(`${texts}.expired`, vars)
  if (f.daysLeft === 0) return t(`${texts}.today`, vars)
  if (f.daysLeft === 1) return t(`${texts}.oneDay`, vars)
  return t(`${texts}.days`, vars)
}

/**
 * A banner source for `ctx.views.addBannerSource`. A failing store yields no banner (the page
 * itself will say what is wrong) rather than a broken admin.
 */
export function expiryBannerSource(
  ctx: DockContext,
  options: { cacheMs?: number } = {},
): (req: Request) => Promise<PageLocals['banners']> {
  const cacheMs = options.cacheMs ?? BANNER_CACHE_MS
  let cached: { at: number; findings: Promise<SecretFinding[]> } | null = null
  const findings = (): Promise<SecretFinding[]> => {
    const now = ctx.now()
    if (!cached || now - cached.at >= cacheMs || now < cached.at) {
      const pending = checkSecrets(ctx).catch((err: unknown) => {
        ctx.logger.warn({ err: String(err) }, 'authdock: secret expiry banner unavailable')
        cached = null
        return []
      })
      cached = { at: now, findings: pending }
    }
    return cached.findings
  }
  return async (req) => {
    const t = ctx.views.translator(req)
    const all = await findings()
    const banners = all.slice(0, BANNER_MAX).map((f) => ({ level: f.level, text: bannerText(t, f) }))
    const rest = all.slice(BANNER_MAX)
    if (rest.length) {
      banners.push({
        level: rest.some((f) => f.level === 'error') ? 'error' : rest[0].level,
        text: t('ops.secrets.banner.more', { count: rest.length }),
      })
    }
    return banners
  }
}
