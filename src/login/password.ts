/**
 * Password fallback (passport-local) for users whose password login is enabled. Unknown user,
 * disabled password login and wrong password get the same answer, in about the same time (the host's
 * password check is timed and imitated where it is skipped); the audit says which. Failures
 * are counted per account and per client address (fixed windows in the store) and a full counter
 * refuses further attempts with LOGIN_THROTTLED before any password is checked.
 */
import type { NextFunction, Request, Response } from 'express'
import type { PassportInstance } from './passport-instance.js'
import { Strategy as LocalStrategy } from 'passport-local'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { recordFailure, recordSuccess } from './outcome.js'
import { logIn } from './session-data.js'
import { safeReturnTo } from './return-to.js'

const STRATEGY = 'authdock-password'

/** Password login is possible at all: the host can check passwords and enable them per user. */
export function passwordLoginPossible(ctx: DockContext): boolean {
  return typeof ctx.config.users.verifyPassword === 'function' && typeof ctx.config.users.isPasswordLoginEnabled === 'function'
}

const accountKey = (username: string) => `login:password:account:${username.trim().toLowerCase()}`
const addressKey = (req: Request) => `login:password:address:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`

const invalid = () => new AuthdockError('LOGIN_PASSWORD_INVALID', 'Unknown user or wrong password')

export class PasswordLogin {
  private readonly verifyTime = new TypicalDuration()

  constructor(
    private readonly ctx: DockContext,
    private readonly passport: PassportInstance,
  ) {
    passport.use(
      STRATEGY,
      new LocalStrategy({ usernameField: 'username', passwordField: 'password', passReqToCallback: true, session: false }, (req, username, password, done) => {
        this.check(req, username, password).then(
          (user) => done(null, user),
          (err: unknown) => done(err),
        )
      }),
    )
  }

  private async check(req: Request, username: string, password: string): Promise<AuthdockUser> {
    const { windowMs, maxPerAccount, maxPerAddress } = this.ctx.config.login.passwordThrottle
    const counters = this.ctx.store.counters
    if ((await counters.get(accountKey(username))) >= maxPerAccount || (await counters.get(addressKey(req))) >= maxPerAddress) {
      throw new AuthdockError('LOGIN_THROTTLED', 'Too many failed logins. Wait a few minutes and try again.', { details: { reason: 'throttled' } })
    }
    const users = this.ctx.config.users
    const user = username.length > 0 && username.length <= 256 ? await users.findByUsername({ username }) : null
    let reason: string | undefined
    if (!user) reason = 'unknown_user'
    else if (!passwordLoginPossible(this.ctx) || !(await users.isPasswordLoginEnabled!({ user }))) reason = 'password_disabled'
    else {
      const started = performance.now()
      const ok = await users.verifyPassword!({ user, password })
      this.verifyTime.add(performance.now() - started)
      if (!ok) reason = 'wrong_password'
    }
    // The host's password check (bcrypt, argon2) is the slow part; an answer that skipped it would
    // tell by its speed that the user does not exist or has no password login.
    if (reason === 'unknown_user' || reason === 'password_disabled') await this.verifyTime.wait()
    if (reason || !user) {
      await counters.hit(accountKey(username), windowMs)
      await counters.hit(addressKey(req), windowMs)
      throw Object.assign(invalid(), { auditReason: reason, actor: user?.id ?? null })
    }
    await counters.reset(accountKey(username))
    return user
  }

  /** POST <auth>/password (body parsed and CSRF verified by the router). */
  async submit(req: Request, res: Response, next: NextFunction, render: (status: number, error?: AuthdockError) => Promise<void>): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>
    if (typeof body.username !== 'string' || typeof body.password !== 'string' || body.username.trim() === '' || body.password === '') {
      const error = new AuthdockError('VALIDATION_FAILED', 'Enter your user name and password', {
        fields: { ...(typeof body.username === 'string' && body.username.trim() ? {} : { username: 'required' }), ...(typeof body.password === 'string' && body.password ? {} : { password: 'required' }) },
      })
      return render(400, error)
    }
    const returnTo = safeReturnTo(body.returnTo)
    try {
      const user = await new Promise<AuthdockUser>((resolve, reject) => {
        this.passport.authenticate(STRATEGY, { session: false }, (err: unknown, u: unknown) => (err ? reject(err) : u ? resolve(u as AuthdockUser) : reject(invalid())))(req, res, next)
      })
      await logIn(req, user as Express.User)
      await recordSuccess(this.ctx, { providerId: null, userId: user.id, method: 'password' })
      req.session.save((err) => (err ? next(err) : res.redirect(303, returnTo ?? this.ctx.config.paths.afterLogin)))
    } catch (err) {
      if (!isAuthdockError(err)) return next(err)
      const extra = err as AuthdockError & { auditReason?: string; actor?: string | null }
      await recordFailure(this.ctx, { reason: err.code, method: 'password', actor: extra.actor ?? null, details: { detail: extra.auditReason ?? err.details?.reason } })
      await render(err.status, err)
    }
  }
}

/**
 * How long the host's password check usually takes (a moving average of the last checks), so that
 * answers that skip it can take as long. Until a check has been timed there is nothing to imitate.
 */
class TypicalDuration {
  private averageMs = 0
  private samples = 0

  add(ms: number): void {
    this.samples = Math.min(this.samples + 1, 20)
    this.averageMs += (ms - this.averageMs) / this.samples
  }

  /** Sleep about one typical check (±10 %, so the pause itself is not a fixed fingerprint). */
  wait(): Promise<void> {
    if (this.samples === 0 || this.averageMs < 1) return Promise.resolve()
    const ms = this.averageMs * (0.9 + Math.random() * 0.2)
    return new Promise((resolve) => setTimeout(resolve, ms))
  }
}
