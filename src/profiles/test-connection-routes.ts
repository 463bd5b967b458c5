/**
 * "Test connection" in the HTML admin: a form per profile (account type, host, port, mailbox user)
 * that gets the profile's token and tries a real AUTH, then shows each step's result. The report
 * never holds a token; the login goes only over TLS whose certificate verifies (`mail.tls.ca` adds a
 * private CA), because the token crosses the connection.
 */
import type { Request, Response, Router } from 'express'
import { isAuthdockError } from '../errors.js'
import type { WebContext } from '../http/web-context.js'
import { MAIL_ACCOUNT_TYPES } from '../mail/adapters.js'
import type { ConnectionTestReport } from '../mail/test-connection.js'
import type { Profile } from '../store/types.js'
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

export function addTestConnectionRoutes(router: Router, ctx: WebContext, service: ProfileService): void {
  const types = Object.keys(MAIL_ACCOUNT_TYPES)
  const render = (
    req: Request,
    res: Response,
    page: { profile: Profile; values: TestForm; errors: Record<string, string>; report: ConnectionTestReport | null },
    status = 200,
  ) =>
    ctx.views.render(
      req,
      res,
      'admin/test-connection',
      { ...page, types, base: req.baseUrl },
      { status, banners: true },
    )

  router.get(
    '/:id/test-connection',
    handler(async (req, res) => {
      const { profile, token } = await service.row(profileIdParam(req))
      // The XOAUTH2 user is the mailbox (a shared mailbox's address), which may differ from who consented.
      const values = {
        type: 'IMAPS_OAuth2',
        host: '',
        port: '',
        user: profile.mailbox ?? token?.authorizedAccount ?? '',
      }
      await render(req, res, { profile, values, errors: {}, report: null })
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
        const report = await service.testConnection(profile.id, {
          ...values,
          port: values.port === '' ? undefined : Number(values.port),
        })
        await render(req, res, { profile, values, errors: {}, report })
      } catch (err) {
        if (!isAuthdockError(err, 'VALIDATION_FAILED') && !isAuthdockError(err, 'OUTBOUND_ADDRESS_REFUSED')) throw err
        await render(req, res, { profile, values, errors: err.fields ?? {}, report: null }, err.status)
      }
    }),
  )
}
