/**
 * The host's layout (`views.layout`): authdock's pages render their content only and the host's
 * frame (its navigation, its stylesheet) goes around it, so an admin never leaves the host's site.
 */
import type { Request, Response } from 'express'
import type { Language, Translate } from './i18n.js'

/**
 * What the host's layout receives for every page of authdock.
 *
 * @example
 * views: { layout: (page: LayoutPage) => `<!doctype html><html lang="${page.lang}"><body>${nav(page.user)}${page.body}</body></html>` }
 */
export interface LayoutPage {
  /** The page's content (escaped by authdock): output it unescaped, `<%- body %>` in EJS. */
  body: string
  /** The page's title (already translated), e.g. "OAuth2 profiles"; undefined for none. */
  title: string | undefined
  lang: Language
  /** authdock's texts in the page's language, with the host's overrides (`viewsDir/locales`). */
  t: Translate
  /**
   * The nonce of this page's Content-Security-Policy: every inline `<style>` and `<script>` of the
   * layout needs `nonce="<%= cspNonce %>"`, as authdock's header replaces any CSP the host set.
   */
  cspNonce: string
  /** The session's CSRF token, for the layout's forms (a logout button: field `_csrf`). */
  csrfToken: string
  /** The logged-in user (the object the host's `users` callbacks returned), or null. */
  user: unknown
  /** authdock's paths (`paths.auth`, `paths.admin`, …), for links in the frame. */
  paths: Readonly<Record<string, string>>
  req: Request
  res: Response
}

/**
 * A layout given as a function: returns the whole page (the host renders it with its own engine).
 *
 * @example
 * views: { layout: ({ body, title, cspNonce, req }) => renderHostPage(req, { body, title, cspNonce }) }
 */
export type LayoutFunction = (page: LayoutPage) => string | Promise<string>
