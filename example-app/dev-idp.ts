/**
 * An embedded development identity provider (oidc-provider) so that the example runs without any
 * outside service. It has real login and consent pages (see dev-idp-pages.ts), the demo users, and
 * three clients: the app's login client, a "mailbox" client for "renew authorization" (refresh
 * tokens, scope `mail`) and the SMTP sink, which checks tokens by introspection.
 *
 * Everything lives in memory: after a restart the dev IdP has forgotten its tokens, so a mailbox
 * profile needs "renew authorization" again. That is fine for development and wrong for anything else.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import express from 'express'
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import { generateKeyPair, exportJWK } from 'jose'
import { DEMO_USERS, findDemoUser, passwordMatches } from './users.js'
import { devIdpAdapter } from './dev-idp-store.js'
import { renderIdpPage, sendIdpPage, sendIdpPageExpress, describeScope } from './dev-idp-pages.js'

export interface ClientCredentials {
  clientId: string
  clientSecret: string
}

export interface DevIdpOptions {
  /** Interface to listen on and host of the issuer URL. */
  host: string
  /** 0 picks a free port. */
  port: number
  /** The app's public origin: redirect URIs derive from it. */
  appBaseUrl: string
  /** The app's login client (OIDC_CLIENT_ID / OIDC_CLIENT_SECRET or the defaults). */
  loginClient: ClientCredentials
}

export interface DevIdp {
  issuer: string
  loginClient: ClientCredentials
  /** Client for "renew authorization" of mailbox profiles. */
  mailboxClient: ClientCredentials
  /** Scope a mailbox profile asks for. */
  mailboxScope: string
  /** RFC 7662 introspection for the SMTP sink. */
  introspection: { url: string; clientId: string; clientSecret: string }
  provider: Provider
  close(): Promise<void>
}

/** The app's login client at the dev IdP; its secret is generated per data folder (secrets.ts). */
export const DEV_LOGIN_CLIENT_ID = 'authdock-example'
const MAILBOX_CLIENT_ID = 'mailbox'
const SINK_CLIENT_ID = 'smtp-sink'

export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const server = http.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, resolve)
  })
  const port = (server.address() as AddressInfo).port
  const issuerHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host
  const issuer = `http://${issuerHost.includes(':') ? `[${issuerHost}]` : issuerHost}:${port}`

  // Fresh secrets per start: nothing of the dev IdP outlives the process anyway.
  const mailboxClient = { clientId: MAILBOX_CLIENT_ID, clientSecret: randomBytes(18).toString('base64url') }
  const sinkClient = { clientId: SINK_CLIENT_ID, clientSecret: randomBytes(18).toString('base64url') }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: `dev-${randomBytes(4).toString('hex')}`,
    alg: 'RS256',
    use: 'sig',
  }
  const app = options.appBaseUrl

  const configuration: Configuration = {
    // Not oidc-provider's default memory adapter: that one evicts beyond 1,000 entries (dev-idp-store.ts).
    adapter: devIdpAdapter(),
    clients: [
      {
        client_id: options.loginClient.clientId,
        client_secret: options.loginClient.clientSecret,
        client_name: 'authdock example',
        redirect_uris: [`${app}/auth/callback`],
        post_logout_redirect_uris: [`${app}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: mailboxClient.clientId,
        client_secret: mailboxClient.clientSecret,
        client_name: 'Mailbox access (authdock example)',
        redirect_uris: [`${app}/oauth2redirect`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: sinkClient.clientId,
        client_secret: sinkClient.clientSecret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'mail'],
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true, allowedPolicy: async (_ctx, client) => client.clientId === SINK_CLIENT_ID },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => sendIdpPage(ctx, await renderIdpPage('logout', { form, host: issuer })),
        postLogoutSuccessSource: async (ctx) => sendIdpPage(ctx, await renderIdpPage('logged-out', {})),
      },
    },
    renderError: async (ctx, out) =>
      sendIdpPage(
        ctx,
        await renderIdpPage('error', { error: out.error, description: out.error_description ?? '' }),
        400,
      ),
    // A client allowed to refresh gets a refresh token (as Keycloak does), not only with offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // The app's own login client is first-party: no consent page for it; the mailbox client asks.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const oidc = ctx.oidc
      const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client!.clientId)
      if (grantId) return oidc.provider.Grant.find(grantId)
      if (oidc.client?.clientId !== options.loginClient.clientId || !oidc.session?.accountId) return undefined
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId })
      grant.addOIDCScope('openid email profile offline_access')
      await grant.save()
      return grant
    },
    ttl: {
      AccessToken: 3600,
      IdToken: 3600,
      RefreshToken: 30 * 24 * 3600,
      Grant: 30 * 24 * 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      AuthorizationCode: 60,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The account id is the email address, so `sub` is what the SMTP sink compares with the mail user.
    findAccount: async (_ctx, id) => {
      const user = findDemoUser(id)
      if (!user) return undefined
      return {
        accountId: user.email,
        claims: async () => ({ sub: user.email, email: user.email, email_verified: true, name: user.displayName }),
      }
    },
  }

  const provider = new Provider(issuer, configuration)
  const web = express()
  web.disable('x-powered-by')
  const form = express.urlencoded({ extended: false, limit: '8kb' })

  web.get('/', (_req, res) => {
    res
      .type('text/plain')
      .send(
        `authdock example: development identity provider\nissuer: ${issuer}\ndemo users: ${DEMO_USERS.map((u) => u.email).join(', ')}\n`,
      )
  })

  web.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res)
      if (details.uid !== req.params.uid) throw new Error('This sign-in request is no longer current')
      const client = await provider.Client.find(String(details.params.client_id))
      const clientName = client?.clientName ?? String(details.params.client_id)
      if (details.prompt.name === 'login') {
        const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : ''
        return sendLogin(res, { uid: details.uid, clientName, email: hint, error: null })
      }
      const missing = details.prompt.details as { missingOIDCScope?: string[] }
      const names = missing.missingOIDCScope ?? []
      // oidc-provider leaves offline_access out of the prompt unless prompt=consent was sent, yet this
      // IdP issues a refresh token to such clients anyway (issueRefreshToken): say so on the page.
      const requested = String(details.params.scope ?? '').split(' ')
      if (
        requested.includes('offline_access') &&
        client?.grantTypeAllowed('refresh_token') &&
        !names.includes('offline_access')
      )
        names.push('offline_access')
      const scopes = names.map((s) => ({ name: s, text: describeScope(s) }))
      sendIdpPageExpress(
        res,
        await renderIdpPage('consent', {
          uid: details.uid,
          clientName,
          account: details.session?.accountId ?? '',
          scopes,
        }),
      )
    } catch (err) {
      next(err)
    }
  })

  web.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res)
      const body = req.body as Record<string, string | undefined>
      const email = (body.email ?? '').trim().slice(0, 200)
      const user = findDemoUser(email)
      if (!user || !passwordMatches(user, body.password ?? '')) {
        const client = await provider.Client.find(String(details.params.client_id))
        return sendLogin(
          res,
          {
            uid: details.uid,
            clientName: client?.clientName ?? '',
            email,
            error: 'Unknown email address or wrong password.',
          },
          401,
        )
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.email } },
        { mergeWithLastSubmission: false },
      )
    } catch (err) {
      next(err)
    }
  })

  web.post('/interaction/:uid/confirm', form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res)
      const accountId = String(details.session?.accountId)
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: String(details.params.client_id) })
      if (!grant) throw new Error('grant not found')
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] }
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
      const grantId = await grant.save()
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
    } catch (err) {
      next(err)
    }
  })

  // "Cancel" on the login or consent page: the client gets error=access_denied, as from a real IdP.
  web.post('/interaction/:uid/abort', form, async (req, res, next) => {
    try {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      )
    } catch (err) {
      next(err)
    }
  })

  web.use(provider.callback())
  web.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // Usually an expired interaction cookie: tell the user to start over from the app.
    void renderIdpPage('error', { error: err.name, description: err.message }).then((page) =>
      sendIdpPageExpress(res, page, 400),
    )
  })
  server.on('request', web)

  async function sendLogin(
    res: express.Response,
    locals: { uid: string; clientName: string; email: string; error: string | null },
    status = 200,
  ) {
    sendIdpPageExpress(
      res,
      await renderIdpPage('login', {
        ...locals,
        users: DEMO_USERS.map((u) => ({ email: u.email, password: u.password })),
      }),
      status,
    )
  }

  return {
    issuer,
    loginClient: options.loginClient,
    mailboxClient,
    mailboxScope: 'openid email offline_access mail',
    introspection: { url: `${issuer}/token/introspection`, ...sinkClient },
    provider,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
