/**
 * The dev identity provider's pages (login, consent, logout, errors), rendered from
 * example-app/views/dev-idp/*.ejs in the app's look. Each page gets a fresh CSP nonce for its one
 * inline style; the pages carry no script.
 */
import { randomBytes } from 'node:crypto'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import ejs from 'ejs'
import type { Response } from 'express'
import type { KoaContextWithOIDC } from 'oidc-provider'

const viewsDir = join(dirname(fileURLToPath(import.meta.url)), 'views', 'dev-idp')

export interface IdpPage {
  html: string
  headers: Record<string, string>
}

export type IdpView = 'login' | 'consent' | 'logout' | 'logged-out' | 'error'

/** Render one page of the dev IdP with its security headers. */
export async function renderIdpPage(view: IdpView, locals: Record<string, unknown>): Promise<IdpPage> {
  const cspNonce = randomBytes(16).toString('base64')
  const html = await ejs.renderFile(
    join(viewsDir, `${view}.ejs`),
    { ...locals, cspNonce },
    { async: false, cache: true },
  )
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
      // form-action stays open: after login the IdP redirects to the app's origin.
      'content-security-policy': `default-src 'none'; style-src 'nonce-${cspNonce}'; frame-ancestors 'none'; base-uri 'none'`,
    },
  }
}

/** Send a page from oidc-provider's hooks (a Koa context). */
export function sendIdpPage(ctx: KoaContextWithOIDC, page: IdpPage, status = 200): void {
  ctx.status = status
  ctx.set(page.headers)
  ctx.body = page.html
}

/** Send a page from the interaction routes (Express). */
export function sendIdpPageExpress(res: Response, page: IdpPage, status = 200): void {
  res.status(status).set(page.headers).send(page.html)
}

const SCOPE_TEXTS: Record<string, string> = {
  openid: 'Confirm who you are',
  email: 'See your email address',
  profile: 'See your name',
  offline_access: 'Keep this access while you are away (a refresh token)',
  mail: 'Read and send mail as you (IMAP, POP3, SMTP)',
}

/** Plain words for a scope on the consent page. */
export function describeScope(scope: string): string {
  return SCOPE_TEXTS[scope] ?? scope
}
