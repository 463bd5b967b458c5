/**
 * Logout: forget the device (stored refresh token and cookie) — with the form field `everywhere=1`
 * every device of the user —, destroy the session in the store, clear the session cookie, and end
 * the session at the provider too where it offers an end_session_endpoint (RP-initiated logout with
 * id_token_hint and post_logout_redirect_uri).
 */
import * as client from 'openid-client'
import type { Request, Response } from 'express'
import type { DockContext } from '../context.js'
import { forgetDevice, forgetDevices } from './device.js'
import type { Providers } from './providers.js'
import { isUserId, userKey } from './user-id.js'

export async function logout(ctx: DockContext, providers: Providers, req: Request, res: Response): Promise<void> {
  const oidc = req.session?.authdockOidc
  const id = (req.user as { id?: unknown } | undefined)?.id
  const userId = isUserId(id) ? userKey(id) : null
  const everywhere = ['1', 'true', 'on'].includes(String((req.body as Record<string, unknown> | undefined)?.everywhere))
  await forgetDevice(ctx, req, res)
  if (userId && everywhere) await forgetDevices(ctx, userId, 'logout', userId)
  await new Promise<void>((resolve, reject) =>
    req.session ? req.session.destroy((err) => (err ? reject(err) : resolve())) : resolve(),
  )
  res.clearCookie(ctx.config.session.cookieName, { path: '/' })
  if (userId) {
    await ctx.store.audit.add({
      kind: 'logout',
      actor: userId,
      details: { providerId: oidc?.providerId ?? null, everywhere },
    })
    ctx.events.emit('logout', { userId, providerId: oidc?.providerId ?? null })
  }
  const afterLogout = `${ctx.config.baseUrl}${ctx.config.paths.afterLogout}`
  const provider = oidc ? providers.find(oidc.providerId) : undefined
  if (provider) {
    try {
      const { config } = await providers.strategy(provider)
      if (config.serverMetadata().end_session_endpoint) {
        const params: Record<string, string> = { post_logout_redirect_uri: afterLogout }
        if (oidc?.idToken) params.id_token_hint = oidc.idToken
        res.redirect(303, client.buildEndSessionUrl(config, params).href)
        return
      }
    } catch (err) {
      // The local logout is done; a provider that cannot be reached must not undo that.
      ctx.logger.warn({ providerId: provider.id, err: String(err) }, 'authdock: RP-initiated logout skipped')
    }
  }
  res.redirect(303, ctx.config.paths.afterLogout)
}
