/**
 * Password fallback (passport-local) for users whose password login is enabled. Unknown user,
 * disabled password login and wrong password get the same answer, in about the same time (the
 * host's password check runs against a decoy user where there is no real one: check-duration.ts);
 * the audit says which. Every attempt is counted before its password is checked
 * (password-throttle.ts), and a full counter refuses it with LOGIN_THROTTLED.
 */
import { randomBytes } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import type { PassportInstance } from './passport-instance.js'
import { Strategy as LocalStrategy } from 'passport-local'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { TypicalDuration } from './check-duration.js'
import { recordFailure, recordSuccessAfterAnswer } from './outcome.js'
import { PasswordThrottle } from './password-throttle.js'
import { logIn } from './session-data.js'
import { checkedUser, userIdOf } from './user-id.js'
import { safeReturnTo } from './return-to.js'
import { seeOther } from './see-other.js'

const STRATEGY = 'authdock-password'

/** Password login is possible at all: the host can check passwords and enable them per user. */
export function passwordLoginPossible(ctx: { config: Pick<DockContext['config'], 'users'> }): boolean {
  return (
    typeof ctx.config.users.verifyPassword === 'function' &&
    typeof ctx.config.users.isPasswordLoginEnabled === 'function'
  )
}

/** The client address as Express sees it: behind a reverse proxy only with the host's `trust proxy`. */
const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown'

/** Whom an answer that skips the password check asks the host about instead: no host has this user. */
const decoyUser = (): AuthdockUser => ({
  id: 'authdock:decoy',
  username: 'authdock:decoy',
  displayName: 'authdock decoy',
})

const invalid = () => new AuthdockError('LOGIN_PASSWORD_INVALID', 'Unknown user or wrong password')

export class PasswordLogin {
  private readonly verifyTime = new TypicalDuration()
  private readonly throttle: PasswordThrottle
  private decoyReported = false

  constructor(
    private readonly ctx: DockContext,
    private readonly passport: PassportInstance,
  ) {
    this.throttle = new PasswordThrottle(ctx.store, ctx.config.login.passwordThrottle)
    passport.use(
      STRATEGY,
      new LocalStrategy(
        { usernameField: 'username', passwordField: 'password', passReqToCallback: true, session: false },
        (req, username, password, done) => {
          this.check(req, username, password).then(
            (user) => done(null, user),
            (err: unknown) => done(err),
          )
        },
      ),
    )
  }

  private async check(req: Request, username: string, password: string): Promise<AuthdockUser> {
    const address = clientAddress(req)
    try {
      await this.throttle.admit(username, address)
    } catch (err) {
      throw isAuthdockError(err, 'LOGIN_THROTTLED')
        ? Object.assign(err, { auditReason: `throttled_${String(err.details?.scope)}` })
        : err
    }
    const users = this.ctx.config.users
    const user = checkedUser(
      username.length > 0 && username.length <= 256 ? await users.findByUsername({ username }) : null,
      'findByUsername',
    )
    let reason: string | undefined
    if (!user) reason = 'unknown_user'
    else if (!passwordLoginPossible(this.ctx) || !(await users.isPasswordLoginEnabled!({ user })))
      reason = 'password_disabled'
    else {
      const started = performance.now()
      const ok = await users.verifyPassword!({ user, password })
      this.verifyTime.add(performance.now() - started)
      if (!ok) reason = 'wrong_password'
    }
    // The host's password check (bcrypt, argon2) is the slow part; an answer that skipped it would
    // tell by its speed that the user does not exist or has no password login.
    if (reason === 'unknown_user' || reason === 'password_disabled') await this.imitateCheck()
    if (reason || !user) throw Object.assign(invalid(), { auditReason: reason, actor: user ? userIdOf(user) : null })
    await this.throttle.succeeded(username, address)
    return user
  }

  private async imitateCheck(): Promise<void> {
    const verify = this.ctx.config.users.verifyPassword
    if (!verify) return
    const { failed, quick } = await this.verifyTime.imitate(() =>
      verify({ user: decoyUser(), password: randomBytes(18).toString('base64url') }),
    )
    if ((failed || quick) && !this.decoyReported) {
      this.decoyReported = true
      this.ctx.logger.warn(
        { decoy: failed ? 'threw' : 'quick' },
        'authdock: users.verifyPassword did not take its usual time for a user it does not know; let it compare against a dummy hash, or unknown users answer faster until the first password check after each start',
      )
    }
  }

  /** POST <auth>/password (body parsed and CSRF verified by the router). */
  async submit(
    req: Request,
    res: Response,
    next: NextFunction,
    render: (status: number, error?: AuthdockError) => Promise<void>,
  ): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>
    if (
      typeof body.username !== 'string' ||
      typeof body.password !== 'string' ||
      body.username.trim() === '' ||
      body.password === ''
    ) {
      const error = new AuthdockError('VALIDATION_FAILED', 'Enter your user name and password', {
        fields: {
          ...(typeof body.username === 'string' && body.username.trim() ? {} : { username: 'required' }),
          ...(typeof body.password === 'string' && body.password ? {} : { password: 'required' }),
        },
      })
      return render(400, error)
    }
    const returnTo = safeReturnTo(body.returnTo)
    try {
      const user = await new Promise<AuthdockUser>((resolve, reject) => {
        this.passport.authenticate(STRATEGY, { session: false }, (err: unknown, u: unknown) =>
          err ? reject(err) : u ? resolve(u as AuthdockUser) : reject(invalid()),
        )(req, res, next)
      })
      await logIn(req, res, user, { providerId: null, logger: this.ctx.logger })
      recordSuccessAfterAnswer(this.ctx, res, { providerId: null, userId: userIdOf(user), method: 'password' })
      seeOther(res, returnTo ?? this.ctx.config.paths.afterLogin)
    } catch (err) {
      if (!isAuthdockError(err)) return next(err)
      const extra = err as AuthdockError & { auditReason?: string; actor?: string | null }
      await recordFailure(this.ctx, {
        reason: err.code,
        method: 'password',
        actor: extra.actor ?? null,
        details: {
          detail: extra.auditReason ?? (isAuthdockError(err, 'LOGIN_THROTTLED') ? err.details?.reason : undefined),
        },
        error: err,
      })
      await render(err.status, err)
    }
  }
}
