import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config.js'
import { Renderer } from '../../src/http/render.js'
import { rememberLanguage } from '../../src/http/language.js'
import { TEST_KEYS } from '../fixtures/databases.js'

function renderer(viewsDir?: string) {
  return new Renderer(
    resolveConfig({
      baseUrl: 'http://localhost:3000',
      encryptionKey: TEST_KEYS[0],
      session: { secret: 'a-session-secret-of-some-length' },
      users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
      viewsDir,
    }),
  )
}

function appFor(views: Renderer, view: string, locals: Record<string, unknown> = {}) {
  const app = express()
  app.use(rememberLanguage)
  app.get('/', (req, res, next) => void views.render(req, res, view, locals).catch(next))
  return app
}

describe('rendering pages', () => {
  it('uses a host override page that includes partials the host did not override', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authdock-views-'))
    mkdirSync(join(dir, 'admin'))
    writeFileSync(
      join(dir, 'admin', 'custom.ejs'),
      "<%- include('../partials/head', { title: 'Ours' }) %><p id=host>host page</p><%- include('../partials/foot') %>",
    )
    const res = await request(appFor(renderer(dir), 'admin/custom')).get('/')
    expect(res.status).toBe(200)
    expect(res.text).toContain('<p id=host>host page</p>')
    expect(res.text).toContain('<title>Ours · authdock</title>')
  })

  it('lets the host override a partial used by a package page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authdock-views-'))
    mkdirSync(join(dir, 'partials'))
    writeFileSync(join(dir, 'partials', 'foot.ejs'), '<footer id=host-foot>host footer</footer></main></body></html>')
    const res = await request(appFor(renderer(dir), 'error', { error: { code: 'X', message: 'm', status: 400 } })).get(
      '/',
    )
    expect(res.text).toContain('<footer id=host-foot>host footer</footer>')
  })

  it('keeps compiled templates per renderer: two instances in one process see their own overrides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authdock-views-'))
    mkdirSync(join(dir, 'partials'))
    writeFileSync(join(dir, 'partials', 'foot.ejs'), '<footer id=host-foot>host footer</footer></main></body></html>')
    const locals = { error: { code: 'X', message: 'm', status: 400 } }
    const plain = appFor(renderer(), 'error', locals)
    const overriding = appFor(renderer(dir), 'error', locals)
    // Twice each, in turns: the second renders come from the caches.
    for (let i = 0; i < 2; i++) {
      expect((await request(plain).get('/')).text).not.toContain('host footer')
      expect((await request(overriding).get('/')).text).toContain('<footer id=host-foot>host footer</footer>')
    }
  })

  it('remembers a ?lang= choice in a cookie, so the next page keeps the language', async () => {
    const agent = request.agent(appFor(renderer(), 'error', { error: { code: 'X', message: null, status: 500 } }))
    const first = await agent.get('/?lang=de')
    expect(first.headers['set-cookie']?.[0]).toMatch(/^authdock\.lang=de;/)
    const next = await agent.get('/').set('Accept-Language', 'en')
    expect(next.text).toContain('Etwas ist schiefgelaufen')
  })

  it('sends a Content-Security-Policy whose nonce matches the inline style', async () => {
    const res = await request(appFor(renderer(), 'error', { error: { code: 'X', message: null, status: 500 } })).get(
      '/',
    )
    const nonce = /style-src 'nonce-([^']+)'/.exec(res.headers['content-security-policy'])![1]
    expect(res.text).toContain(`<style nonce="${nonce}">`)
  })
})
