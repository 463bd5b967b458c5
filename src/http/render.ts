/**
 * Server-rendered pages with EJS. A host may override any template by putting a file with the same
 * relative name in `viewsDir`; includes are resolved the same way, so a host can also replace only
 * the layout partials. `<%= %>` escapes; templates never use `<%-` for data.
 */
import { existsSync } from 'node:fs'
import { join, relative, isAbsolute, resolve as resolvePath } from 'node:path'
import ejs from 'ejs'
import type { Request, Response } from 'express'
import { I18n, pickLanguage, type Language, type Translate } from './i18n.js'
import { packageViewsDir } from './package-dir.js'
import { csrfToken } from './csrf.js'
import type { ResolvedConfig } from '../config.js'
import { AuthdockError } from '../errors.js'
import { randomBytesPooled } from '../random.js'
import type { LayoutPage } from './layout.js'

export interface PageLocals {
  t: Translate
  /** A field error (an English phrase of the field vocabulary) in the page's language. */
  fieldText: (message: string) => string
  /** An error's text by its code, with the plain values of its details filled in. */
  errorText: (error: { code: string; details?: object }) => string
  lang: Language
  csrfToken: string
  /** Nonce for the page's inline <style>/<script> under the Content-Security-Policy. */
  cspNonce: string
  paths: ResolvedConfig['paths']
  user: unknown
  /** Messages shown on every admin page (secret expiry banners …), already translated. */
  banners: Array<{ level: 'info' | 'warning' | 'error'; text: string }>
  title?: string
  [key: string]: unknown
}

/** Origins of http(s) URLs, each once; anything else is left out (it could not be a source). */
export function originsOf(urls: Iterable<string | null | undefined>): string[] {
  const out = new Set<string>()
  for (const url of urls) {
    if (!url || !URL.canParse(url)) continue
    const { protocol, origin } = new URL(url)
    if (protocol === 'https:' || protocol === 'http:') out.add(origin)
  }
  return [...out]
}

/**
 * The headers of every page: never cached, not framed, no referrer to other sites, and a
 * Content-Security-Policy that admits only the page's own inline style and script (by nonce).
 * Forms may only be sent to this site and to `formActions` (origins): Chromium applies form-action
 * to the redirects after a submit too, so the origins a post redirects to (the identity provider
 * after logout, a profile's authorization URL) must be listed.
 *
 * `sources` (`views.csp`) adds the host's own: its stylesheet and scripts, images and fonts of its
 * layout.
 *
 * @example
 * res.set(pageHeaders(nonce, ['https://idp.example.com'], { styleSrc: ["'self'"] }))
 */
export function pageHeaders(
  cspNonce: string,
  formActions: readonly string[] = [],
  sources: Partial<CspSources> = {},
): Record<string, string> {
  const formAction = ["'self'", ...originsOf(formActions)].join(' ')
  const add = (list: readonly string[] | undefined) => (list?.length ? ` ${list.join(' ')}` : '')
  // default-src 'none' already refuses fonts: font-src appears only when given.
  const own = (name: string, list: readonly string[] | undefined) => (list?.length ? `; ${name} ${list.join(' ')}` : '')
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    // connect-src 'self': a page's own (nonce'd) script may call back to this origin ("Test well-known").
    'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${cspNonce}'${add(sources.styleSrc)}; script-src 'nonce-${cspNonce}'${add(sources.scriptSrc)}; connect-src 'self'${add(sources.connectSrc)}; img-src 'self' data:${add(sources.imgSrc)}${own('font-src', sources.fontSrc)}; frame-ancestors 'none'; base-uri 'none'; form-action ${formAction}`,
  }
}

/** The host's extra CSP sources (`views.csp`). */
export type CspSources = ResolvedConfig['views']['csp']

export type BannerSource = (req: Request) => Promise<PageLocals['banners']> | PageLocals['banners']

/** Origins every page's forms may lead to (the login providers), asked at each render. */
export type FormActionSource = () => readonly string[]

export class Renderer {
  readonly i18n: I18n
  private readonly bannerSources: BannerSource[] = []
  private readonly formActionSources: FormActionSource[] = []

  constructor(private readonly config: ResolvedConfig) {
    this.i18n = new I18n(config.viewsDir)
  }

  /** Register something that contributes banners to admin pages (e.g. the secret-expiry check). */
  addBannerSource(source: BannerSource): void {
    this.bannerSources.push(source)
  }

  /** Register origins that every page's form-action admits (the login registers its providers). */
  addFormActionSource(source: FormActionSource): void {
    this.formActionSources.push(source)
  }

  /** The origins of every registered source. */
  formActions(): string[] {
    return originsOf(this.formActionSources.flatMap((s) => s()))
  }

  language(req: Request): Language {
    return pickLanguage(req, this.config.language)
  }

  translator(req: Request): Translate {
    return this.i18n.translator(this.language(req))
  }

  private resolve(view: string): string {
    const file = view.endsWith('.ejs') ? view : `${view}.ejs`
    if (this.config.viewsDir) {
      const candidate = join(this.config.viewsDir, file)
      if (existsSync(candidate)) return candidate
    }
    return join(packageViewsDir, file)
  }

  /**
   * Render `view` (e.g. 'login/retry') with the common locals and send it. `formActions`: origins
   * this page's forms redirect to, beyond the registered ones.
   */
  async render(
    req: Request,
    res: Response,
    view: string,
    locals: Record<string, unknown> = {},
    options: { status?: number; banners?: boolean; formActions?: readonly string[] } = {},
  ): Promise<void> {
    const lang = this.language(req)
    const cspNonce = randomBytesPooled(16).toString('base64')
    const banners = options.banners ? (await Promise.all(this.bannerSources.map((s) => s(req)))).flat() : []
    const layout = this.config.views.layout
    // partials/head records the page's title here, for the host's layout, and that the page has a
    // frame: a template without it (a fragment a page's script inserts) gets no layout either.
    const page: { title?: string; framed?: boolean } = {}
    const t = this.i18n.translator(lang)
    const all: PageLocals = {
      t,
      fieldText: this.i18n.fieldTranslator(lang),
      errorText: (error: { code: string; details?: object }) => t(`errors.${error.code}`, textVars(error.details)),
      lang,
      csrfToken: req.session ? csrfToken(req) : '',
      cspNonce,
      paths: this.config.paths,
      user: req.user ?? null,
      banners,
      hostLayout: layout !== undefined,
      page,
      ...locals,
    }
    let html = this.renderFile(this.resolve(view), all)
    if (layout !== undefined && page.framed) {
      const frame: LayoutPage = {
        body: html,
        title: page.title,
        lang,
        t: all.t,
        cspNonce,
        csrfToken: all.csrfToken,
        user: all.user,
        paths: this.config.paths,
        req,
        res,
      }
      html = typeof layout === 'function' ? await layout(frame) : this.renderLayout(layout, frame)
      if (typeof html !== 'string') throw new AuthdockError('INTERNAL', 'views.layout must return the page as a string')
    }
    res
      .status(options.status ?? 200)
      .set(pageHeaders(cspNonce, [...this.formActions(), ...(options.formActions ?? [])], this.config.views.csp))
      .send(html)
  }

  /**
   * The host's EJS layout, with what Express's res.render would give it (app.locals, res.locals)
   * and, over those, the page. Its includes resolve next to it, as in the host's own pages.
   */
  private renderLayout(file: string, frame: LayoutPage): string {
    const { req, res, ...page } = frame
    return this.renderFile(resolvePath(file), { ...req.app?.locals, ...res.locals, ...page }, this.layoutOptions)
  }

  private readonly layoutOptions: ejs.Options & { async: false } = { async: false, cache: true }

  /**
   * Render a template file, compiled once per renderer. Compiling is most of a page's cost (about
   * 2 ms of 3 here), so compiled templates and partials are kept — in this renderer's own cache,
   * not ejs's global one: a compiled template holds the includer it was compiled with, and two
   * authdock instances in one process may override different templates. ejs reads its cache
   * (`ejs.cache`, a documented, replaceable object) during the call, which is synchronous here
   * (`async: false` and a callback), so swapping it around the call is safe. Edited templates are
   * seen after a restart.
   */
  private renderFile(
    file: string,
    locals: ejs.Data,
    options: ejs.Options & { async: false } = this.ejsOptions,
  ): string {
    const previous = ejs.cache
    ejs.cache = this.compiled
    let html: string | undefined
    let failure: unknown
    try {
      ejs.renderFile(file, locals, options, (err, str) => {
        failure = err
        html = str
      })
    } finally {
      ejs.cache = previous
    }
    if (failure) throw failure
    if (html === undefined) throw new Error(`ejs rendered ${file} asynchronously`)
    return html
  }

  private readonly compiled = templateCache()
  private readonly ejsOptions: ejs.Options & { async: false } = {
    async: false,
    cache: true,
    includer: (originalPath: string, parsedPath: string) => {
      // Let a host override partials too: map the package path onto the override folder.
      // parsedPath may sit in the package's views or in the host's override folder; either way
      // the same relative name is looked up override-first.
      // ejs gives no parsedPath when the file is missing next to the includer (a host page that
      // includes a partial it did not override): read the name from the views root.
      if (!parsedPath || !isAbsolute(parsedPath))
        return { filename: this.resolve(originalPath.replace(/^(\.\.\/)+/, '').replace(/\.ejs$/, '')) }
      const rel = [packageViewsDir, this.config.viewsDir]
        .filter((d): d is string => typeof d === 'string')
        .map((d) => relative(d, parsedPath))
        .find((r) => !r.startsWith('..') && !isAbsolute(r))
      return { filename: rel === undefined ? parsedPath : this.resolve(rel.replace(/\.ejs$/, '')) }
    },
  }
}

/** An ejs cache (get/set/reset) of compiled templates by file name. */
function templateCache(): typeof ejs.cache {
  const map = new Map<string, ejs.TemplateFunction>()
  return {
    get: (key: string) => map.get(key),
    set: (key: string, value: ejs.TemplateFunction) => void map.set(key, value),
    reset: () => map.clear(),
  } as typeof ejs.cache
}

/** The text values of an error's details (strings and numbers only: never nested objects). */
function textVars(details: object | undefined): Record<string, string | number> {
  const vars: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(details ?? {}))
    if (typeof value === 'string' || typeof value === 'number') vars[key] = value
  return vars
}
