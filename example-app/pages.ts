/**
 * The example host's own pages: home, GET /me (200 {"user": …} or 401 JSON, docs/example-app.md), and the
 * language choice, which the app remembers in the `authdock.lang` cookie that authdock's pages read.
 */
import express, { type RequestHandler, type Router } from 'express'
import { AuthdockError, type Authdock } from '../src/index.js'
import type { ExamplePages } from './render.js'

export interface PagesDeps {
  dock: Authdock
  pages: ExamplePages
  idpUrl: string | undefined
  smtpAddress: string
}

/** `?lang=de` on any page switches the language for the following pages too. */
export const rememberLanguage: RequestHandler = (req, res, next) => {
  const lang = req.query.lang
  if (lang === 'de' || lang === 'en') {
    res.cookie('authdock.lang', lang, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 365 * 24 * 60 * 60_000 })
  }
  next()
}

export function homeRouter(deps: PagesDeps): Router {
  const router = express.Router()
  router.get('/', (req, res, next) => {
    deps.pages.render(req, res, 'home', { idpUrl: deps.idpUrl, smtpAddress: deps.smtpAddress }).catch(next)
  })
  // Always JSON (the documented route), also for a browser: dock.requireLogin would send a browser to the login.
  router.get('/me', (req, res) => {
    res.set('Cache-Control', 'no-store')
    if (!req.user) {
      res.status(401).json(new AuthdockError('UNAUTHENTICATED', 'Log in first').toJSON())
      return
    }
    res.json({ user: req.user })
  })
  return router
}
