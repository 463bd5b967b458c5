/**
 * The example host's own pages: home and GET /me (200 {"user": …} or 401 JSON). Their language
 * is the one authdock's pages use (dock.language: `?lang=`, remembered by dock.router, then
 * Accept-Language).
 */
import express, { type Router } from 'express'
import { AuthdockError, type Authdock } from '../src/index.js'
import type { ExamplePages } from './render.js'

export interface PagesDeps {
  dock: Authdock
  pages: ExamplePages
  idpUrl: string | undefined
  smtpAddress: string
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
