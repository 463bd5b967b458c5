/**
 * Mail accounts (admin only) and the received-mails page of the SMTP sink. "Send a test mail" goes
 * through the token provider: nodemailer asks `dock.tokens` for the profile's token (and once more
 * with renew after a refusal), so the app never holds a token itself.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express'
import nodemailer from 'nodemailer'
import {
  AuthdockError,
  isAuthdockError,
  mailTlsError,
  nodemailerOptions,
  verifyCsrf,
  type Authdock,
  type MailAccountType,
} from '../src/index.js'
import { accountRules, type MailAccount, type MailAccountForm, type MailAccounts } from './mail-accounts.js'
import type { Banner, ExamplePages } from './render.js'
import type { SmtpSink } from './smtp-sink.js'
import { isAdmin } from './users.js'

declare module 'express-session' {
  interface SessionData {
    /** One message for the next page (after a redirect). */
    exampleFlash?: Banner
  }
}

export interface MailRoutesDeps {
  dock: Authdock
  pages: ExamplePages
  accounts: MailAccounts
  sink: SmtpSink
  /** CA certificates mail connections trust: the public ones and the dev CA of the sink. */
  trustedCas: string[]
}

const requireAdmin: RequestHandler = (req, _res, next) => {
  next(isAdmin(req) ? undefined : new AuthdockError('FORBIDDEN', 'Only an administrator may manage mail accounts.'))
}

function takeFlash(req: Request): Banner[] {
  const flash = req.session.exampleFlash
  delete req.session.exampleFlash
  return flash ? [flash] : []
}

export function mailRouter(deps: MailRoutesDeps): Router {
  const { dock, pages, accounts, sink, trustedCas } = deps
  const t = (req: Request) => pages.translator(req)
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '16kb' })
  const admin = [dock.requireLogin, requireAdmin]
  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    (req, res, next) => {
      fn(req, res).catch(next)
    }

  // Types, ports, TLS modes, notes and the profiles each type may use all come from authdock.
  const renderForm = async (
    req: Request,
    res: Response,
    account: Partial<MailAccount>,
    errors: Record<string, string> = {},
    status = 200,
  ) => {
    const types = await dock.mail.accountTypes({ req, include: account.profileId })
    const profiles = types.find((t) => t.usesProfile)?.profiles ?? []
    await pages.render(req, res, 'mail-account-form', { account, errors, types, profiles }, { status })
  }

  router.get(
    '/mail-accounts',
    ...admin,
    wrap(async (req, res) => {
      const types = await dock.mail.accountTypes({ req })
      const names = new Map((await dock.profiles.list()).map((p) => [p.id, p.name]))
      const list = accounts.list().map((a) => {
        const info = types.find((t) => t.type === a.type)
        return {
          ...a,
          profileName: a.profileId ? (names.get(a.profileId) ?? null) : null,
          canSend: info?.usesProfile === true && info.direction === 'outbound',
        }
      })
      await pages.render(req, res, 'mail-accounts', { accounts: list }, { banners: takeFlash(req) })
    }),
  )

  router.get(
    '/mail-accounts/new',
    ...admin,
    wrap((req, res) =>
      renderForm(req, res, {
        name: '',
        type: 'SMTPTLS_OAuth2',
        host: sink.host,
        port: sink.port,
        user: '',
        profileId: null,
        hasPassword: false,
      }),
    ),
  )

  router.get(
    '/mail-accounts/:id/edit',
    ...admin,
    wrap(async (req, res) => {
      const account = accounts.get(String(req.params.id))
      if (!account) throw new AuthdockError('NOT_FOUND', 'This mail account does not exist')
      await renderForm(req, res, account)
    }),
  )

  const save = (id?: string) =>
    wrap(async (req, res) => {
      const body = req.body as MailAccountForm
      try {
        const saved = await accounts.save(body, await accountRules(dock, id ? accounts.get(id)?.profileId : null), id)
        req.session.exampleFlash = { level: 'info', text: t(req)('example.accounts.saved', { name: saved.name }) }
        res.redirect(303, '/mail-accounts')
      } catch (err) {
        if (!isAuthdockError(err) || err.code !== 'VALIDATION_FAILED') throw err
        // Show the form again with what was typed, except the password.
        const typed = {
          id,
          name: String(body.name ?? ''),
          type: String(body.type ?? ''),
          host: String(body.host ?? ''),
          port: String(body.port ?? '') as never,
          user: String(body.user ?? ''),
          profileId: String(body.profileId ?? ''),
          hasPassword: Boolean(id && accounts.get(id)?.hasPassword),
        }
        await renderForm(req, res, typed, err.fields ?? {}, 400)
      }
    })
  router.post('/mail-accounts', ...admin, form, verifyCsrf, save())
  router.post('/mail-accounts/:id', ...admin, form, verifyCsrf, (req, res, next) =>
    save(String(req.params.id))(req, res, next),
  )

  router.post(
    '/mail-accounts/:id/delete',
    ...admin,
    form,
    verifyCsrf,
    wrap(async (req, res) => {
      if (!(await accounts.delete(String(req.params.id))))
        throw new AuthdockError('NOT_FOUND', 'This mail account does not exist')
      req.session.exampleFlash = { level: 'info', text: t(req)('example.accounts.deleted') }
      res.redirect(303, '/mail-accounts')
    }),
  )

  router.post(
    '/mail-accounts/:id/test-mail',
    ...admin,
    form,
    verifyCsrf,
    wrap(async (req, res) => {
      const account = accounts.get(String(req.params.id))
      if (!account) throw new AuthdockError('NOT_FOUND', 'This mail account does not exist')
      const to = String((req.body as MailAccountForm).to ?? '').trim()
      if (!/^[^\s@]+@[^\s@]+$/.test(to))
        throw new AuthdockError('VALIDATION_FAILED', 'The recipient must be an email address', {
          fields: { to: 'must be an email address' },
        })
      req.session.exampleFlash = await sendTestMail(dock, account, to, trustedCas, t(req))
      res.redirect(303, '/mail-accounts')
    }),
  )

  router.get(
    '/mails',
    dock.requireLogin,
    wrap(async (req, res) => {
      await pages.render(req, res, 'mails', {
        mails: sink.mails,
        attempts: sink.attempts,
        smtpAddress: `${sink.host}:${sink.port}`,
        verifiesTokens: sink.verifiesTokens,
      })
    }),
  )
  return router
}

async function sendTestMail(
  dock: Authdock,
  account: MailAccount,
  to: string,
  trustedCas: string[],
  t: ReturnType<ExamplePages['translator']>,
): Promise<Banner> {
  const info = (await dock.mail.accountTypes()).find((i) => i.type === account.type)
  if (!info?.usesProfile || info.direction !== 'outbound' || !account.profileId)
    return { level: 'error', text: t('example.accounts.oauth2Only') }
  // authdock decides TLS from the account type (implicit TLS or required STARTTLS, certificate
  // verified); the sink on loopback is no exception, it has a certificate of the dev CA.
  const options = nodemailerOptions(
    dock.tokens,
    account.type as MailAccountType,
    {
      host: account.host,
      port: account.port,
      user: account.user,
      profileId: account.profileId,
      tls: { ca: trustedCas },
    },
    { refreshMarginMs: dock.config.tokens.refreshMarginMs },
  )
  const transport = nodemailer.createTransport({ ...options, connectionTimeout: 10_000 })
  try {
    // Ask the token provider first: a profile that is not authorized gets its own clear message
    // (nodemailer would only report EAUTH). nodemailer's provision callback then hits the cache.
    await dock.tokens.getAccessToken(account.profileId)
    await transport.sendMail({
      from: account.user,
      to,
      subject: `authdock test mail from “${account.name}”`,
      text: `This mail was sent through the account "${account.name}" (${account.type}) with an access token of its OAuth2 profile, at ${new Date().toISOString()}.`,
    })
    return { level: 'info', text: t('example.accounts.sent', { to }) }
  } catch (err) {
    // Say why in plain words; a token never appears here (nodemailer's errors carry none).
    const failure = mailTlsError(err) ?? err
    const reason = isAuthdockError(failure)
      ? `${failure.expose ? failure.message : failure.code} (${failure.code})`
      : (failure as { code?: string }).code === 'EAUTH'
        ? t('example.accounts.refused')
        : t('example.accounts.unreachable')
    return { level: 'error', text: t('example.accounts.sendFailed', { reason }) }
  } finally {
    transport.close()
  }
}
