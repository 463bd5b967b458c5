import type { RequestHandler } from 'express'
import { LANGUAGES, type Language } from './i18n.js'

/** A `?lang=de|en` choice sticks: it is remembered in a cookie that pickLanguage reads. */
export const rememberLanguage: RequestHandler = (req, res, next) => {
  // Most requests have no query string: skip Express's query parsing for them.
  if (!req.url.includes('?')) return next()
  const lang = req.query?.lang
  if (typeof lang === 'string' && (LANGUAGES as readonly string[]).includes(lang)) {
    res.cookie('authdock.lang', lang as Language, {
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 365 * 24 * 60 * 60_000,
      path: '/',
    })
  }
  next()
}
