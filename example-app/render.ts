/**
 * The example host's pages and page frame, rendered with EJS from example-app/views as any Express
 * host renders its views: its own texts (views/locales/<lang>/example.json), its own stylesheet
 * (public/example.css, served at /assets) and navigation (views/partials/head.ejs, _nav.ejs).
 * authdock's pages (admin, login, errors) get the same frame through the `views.layout` option:
 * {@link ExamplePages.layout}. Only authdock's public API is used: the language of the request,
 * the CSRF token, the paths and the login's form-action origins.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ejs from 'ejs'
import type { Request, Response } from 'express'
import { csrfToken, type Authdock, type LayoutPage } from '../src/index.js'

export const exampleViewsDir = join(dirname(fileURLToPath(import.meta.url)), 'views')
/** The example's static files (its stylesheet), served at /assets. */
export const examplePublicDir = join(dirname(fileURLToPath(import.meta.url)), 'public')

export type Banner = { level: 'info' | 'warning' | 'error'; text: string }
export type Translate = (key: string, vars?: Record<string, string | number>) => string

type Messages = Record<string, unknown>

function loadTexts(lang: string): Messages {
  return {
    example: JSON.parse(readFileSync(join(exampleViewsDir, 'locales', lang, 'example.json'), 'utf8')) as Messages,
  }
}

function lookup(messages: Messages, key: string): string | undefined {
  let node: unknown = messages
  for (const part of key.split('.'))
    node = typeof node === 'object' && node !== null ? (node as Messages)[part] : undefined
  return typeof node === 'string' ? node : undefined
}

/**
 * The headers of the example's own pages: the same strictness as authdock's (nonce for inline
 * style and script), its stylesheet from this origin, and forms that may lead to the identity
 * provider (the logout form is redirected there).
 */
function pageHeaders(cspNonce: string, formActions: readonly string[]): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy':
      `default-src 'none'; style-src 'nonce-${cspNonce}' 'self'; script-src 'nonce-${cspNonce}'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self' ${formActions.join(' ')}`.trimEnd(),
  }
}

export class ExamplePages {
  private readonly texts = { en: loadTexts('en'), de: loadTexts('de') }
  // Compiled once (ejs's cache): compiling is most of a page's cost.
  private readonly ejsOptions: ejs.Options = { views: [exampleViewsDir], cache: true }

  /** `dock`: the authdock instance, asked at each page (the layout exists before it). */
  constructor(private readonly dock: () => Authdock) {}

  private textsIn(lang: string): Translate {
    const messages = lang === 'de' ? this.texts.de : this.texts.en
    return (key, vars) => {
      const text = lookup(messages, key) ?? lookup(this.texts.en, key) ?? key
      return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text
    }
  }

  /** The texts in the request's language, the one authdock's pages use (for messages built in routes). */
  translator(req: Request): Translate {
    return this.textsIn(this.dock().language(req))
  }

  async render(
    req: Request,
    res: Response,
    view: string,
    locals: Record<string, unknown> = {},
    options: { status?: number; banners?: Banner[] } = {},
  ): Promise<void> {
    const dock = this.dock()
    const lang = dock.language(req)
    const cspNonce = randomBytes(16).toString('base64')
    const html = await ejs.renderFile(
      join(exampleViewsDir, `${view}.ejs`),
      {
        t: this.textsIn(lang),
        lang,
        csrfToken: req.session ? csrfToken(req) : '',
        cspNonce,
        paths: dock.config.paths,
        user: req.user ?? null,
        banners: options.banners ?? [],
        title: undefined,
        ...locals,
      },
      this.ejsOptions,
    )
    res
      .status(options.status ?? 200)
      .set(pageHeaders(cspNonce, dock.login.formActionOrigins()))
      .send(html)
  }

  /** authdock's pages inside the example's frame: the `views.layout` function given to createAuthdock. */
  layout(page: LayoutPage): Promise<string> {
    const { admin, audit } = page.paths
    const path = page.req.originalUrl
    const current = path.startsWith(admin) ? 'admin' : path.startsWith(audit) ? 'audit' : null
    return ejs.renderFile(
      join(exampleViewsDir, 'layout.ejs'),
      {
        t: this.textsIn(page.lang),
        lang: page.lang,
        title: page.title,
        body: page.body,
        cspNonce: page.cspNonce,
        csrfToken: page.csrfToken,
        user: page.user,
        paths: page.paths,
        banners: [],
        current,
      },
      this.ejsOptions,
    )
  }
}
