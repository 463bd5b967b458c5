/**
 * "Test well-known": reachability, issuer match, endpoints and algorithms in plain words, as a
 * function and as the admin JSON handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express from 'express'
import request from 'supertest'
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js'
import { startTestApp, type TestApp } from '../fixtures/test-app.js'
import { wellKnownHandler } from '../../src/login/index.js'

let op: HostileOp
let app: TestApp

beforeAll(async () => {
  op = await startHostileOp({ advertiseIss: false })
  app = await startTestApp({ oidc: { issuer: op.issuer, clientId: op.clientId } })
})
afterAll(async () => {
  await app.close()
  await op.close()
})

describe('test well-known', () => {
  it('reports a usable provider with its endpoints and algorithms', async () => {
    const report = await app.dock.login.testWellKnown(op.issuer)
    expect(report).toMatchObject({
      issuer: op.issuer,
      reachable: true,
      issuerMatches: true,
      idTokenSigningAlgorithms: ['RS256'],
      codeChallengeMethods: ['S256'],
      authorizationResponseIssParameter: false,
      endSession: false,
    })
    expect(report.endpoints.token_endpoint).toBe(`${op.issuer}/token`)
    expect(report.findings.at(-1)).toEqual({ level: 'ok', code: 'usable', text: 'The provider can be used for login.' })
    expect(report.findings.some((f) => f.level === 'warning' && f.text.includes('RFC 9207'))).toBe(true)
  })

  it('reports an issuer mismatch as an error', async () => {
    op.fault = 'discovery-issuer-mismatch'
    try {
      const report = await app.dock.login.testWellKnown(op.issuer)
      expect(report.issuerMatches).toBe(false)
      expect(report.findings[0].level).toBe('error')
      expect(report.findings[0].text).toContain('names the issuer')
    } finally {
      op.fault = 'none'
    }
  })

  it('reports an unreachable issuer and an http issuer that is not loopback', async () => {
    const down = await app.dock.login.testWellKnown('http://127.0.0.1:9')
    expect(down.reachable).toBe(false)
    expect(down.findings[0].level).toBe('error')
    const insecure = await app.dock.login.testWellKnown('http://idp.example.com')
    expect(insecure.findings[0].text).toContain('https')
  })

  it('answers as JSON for a configured provider id and names a missing issuer (VALIDATION_FAILED)', async () => {
    const admin = express()
    admin.get('/well-known', wellKnownHandler({ config: app.dock.config }, app.dock.login.testWellKnown))
    admin.use(
      (
        err: { status: number; toJSON(): unknown },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(err.status).json(err.toJSON())
      },
    )
    const ok = await request(admin).get('/well-known').query({ provider: 'default' })
    expect(ok.status).toBe(200)
    expect(ok.body.issuerMatches).toBe(true)
    const missing = await request(admin).get('/well-known')
    expect(missing.status).toBe(400)
    expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { issuer: 'required' } })
  })
})
