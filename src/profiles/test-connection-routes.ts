/**
 * "Test connection" in the HTML admin: a form per profile (account type, host, port, mailbox user)
 * that gets the profile's token and tries a real AUTH, then shows each step's result. The report
 * never holds a token; the login goes only over TLS whose certificate verifies (`mail.tls.ca` adds a
 * private CA), because the token crosses the connection.
 */
import type { Router } from 'express'
import type { DockContext } from '../context.js'
import { isAuthdockError } from '../errors.js'
import { MAIL_ACCOUNT_TYPES } from '../mail/adapters.js'
import { testMailConnection, type ConnectionTestReport } from '../mail/test-connection.js'
import type { TokenProvider } from '../tokens/types.js'
import { handler, profileIdParam } from './http.js'
import type { ProfileService } from './service.js'

interface TestForm {
  type: string
  host: string
  port: string
  user: string
}

const field = (body: Record<string, unknown>, name: keyof TestForm): string =>
  typeof body[name] === 'string' ? (body[name] as string).trim().slice(0, 320) : ''

export function addTestConnectionRoutes(
  router: Router,
  ctx: DockContext,
  service: ProfileService,
  tokens: TokenProvider,
): void {
  const types = Object.keys(MAIL_ACCOUNT_TYPES)
  const page = (values: TestForm, errors: Record<string, string>, report: ConnectionTestReport | null) => ({
    values,
    errors,
    report,
    types,
  })

  router.get(
    '/:id/test-connection',
    handler(async (req, res) => {
      const profile = await service.get(profileIdParam(req))
      const summary = await ctx.store.tokens.summary(profile.id)
      // The XOAUTH2 user is the mailbox (a shared mailbox's address), which may differ from who consented.
      const values = {
        type: 'IMAPS_OAuth2',
        host: '',
        port: '',
        user: profile.mailbox ?? summary?.authorizedAccount ?? '',
      }
      await ctx.views.render(
        req,
        res,
        'admin/test-connection',
        { profile, base: req.baseUrl, ...page(values, {}, null) },
        { banners: true },
      )
    }),
  )

  router.post(
    '/:id/test-connection',
    handler(async (req, res) => {
      const profile = await service.get(profileIdParam(req))
      const body = (req.body ?? {}) as Record<string, unknown>
      const values: TestForm = {
        type: field(body, 'type'),
        host: field(body, 'host'),
        port: field(body, 'port'),
        user: field(body, 'user'),
      }
      try {
        const report = await testMailConnection(tokens, {
          profileId: profile.id,
          type: values.type as never,
          host: values.host,
          port: values.port === '' ? undefined : Number(values.port),
          user: values.user,
          tls: ctx.config.mail.tls,
          lookup: ctx.config.lookup,
        })
        await ctx.views.render(
          req,
          res,
          'admin/test-connection',
          { profile, base: req.baseUrl, ...page(values, {}, report) },
          { banners: true },
        )
      } catch (err) {
        if (!isAuthdockError(err, 'VALIDATION_FAILED') && !isAuthdockError(err, 'OUTBOUND_ADDRESS_REFUSED')) throw err
        await ctx.views.render(
          req,
          res,
          'admin/test-connection',
          { profile, base: req.baseUrl, ...page(values, err.fields ?? {}, null) },
          { status: err.status, banners: true },
        )
      }
    }),
  )
}
