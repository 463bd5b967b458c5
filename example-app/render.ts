/**
 * Renders the example app's own pages (example-app/views) inside authdock's layout: the pages
 * include authdock's `partials/head` and `partials/foot`, use its texts (`common.*`) and add their
 * own (`example.*` from example-app/views/locales), so the host and the admin look alike.
 */
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ejs from 'ejs'
import type { Request, Response } from 'express'
import { I18n, pickLanguage, type Translate } from '../src/http/i18n.js'
import { csrfToken } from '../src/http/csrf.js'
import { packageViewsDir } from '../src/http/package-dir.js'
import { pageHeaders } from '../src/http/render.js'
import type { ResolvedConfig } from '../src/index.js'

export const exampleViewsDir = join(dirname(fileURLToPath(import.meta.url)), 'views')

export type Banner = { level: 'info' | 'warning' | 'error'; text: string }

export class ExamplePages {
  private readonly i18n = new I18n(exampleViewsDir)

  /** `formActions`: where the pages' forms may lead (the logout form: to the identity provider). */
  constructor(
    private readonly config: ResolvedConfig,
    private readonly formActions: () => readonly string[] = () => [],
  ) {}

  /** The texts in the request's language (for messages built in routes). */
  translator(req: Request): Translate {
    return this.i18n.translator(pickLanguage(req, this.config.language))
  }

  async render(req: Request, res: Response, view: string, locals: Record<string, unknown> = {}, options: { status?: number; banners?: Banner[] } = {}): Promise<void> {
    const lang = pickLanguage(req, this.config.language)
    const cspNonce = randomBytes(16).toString('base64')
    const html = await ejs.renderFile(
      join(exampleViewsDir, `${view}.ejs`),
      {
        t: this.i18n.translator(lang),
        lang,
        csrfToken: req.session ? csrfToken(req) : '',
        cspNonce,
        paths: this.config.paths,
        user: req.user ?? null,
        banners: options.banners ?? [],
        title: undefined,
        ...locals,
      },
      // Includes that are not next to the page come from authdock's views (partials/head …).
      // Compiled once (ejs's cache): compiling is most of a page's cost.
      { views: [exampleViewsDir, packageViewsDir], async: false, cache: true },
    )
    res
      .status(options.status ?? 200)
      .set(pageHeaders(cspNonce, this.formActions()))
      .send(html)
  }
}
