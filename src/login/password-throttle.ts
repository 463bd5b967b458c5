/**
 * Password throttling. Every attempt is counted, atomically, before its password is checked, so
 * parallel guesses cannot all pass a count that none of them has raised yet. Three limits:
 *
 * - per client address across accounts (password spraying from one place),
 * - per account from one address: that address is refused, the account's owner elsewhere is not,
 * - per account from all addresses together: a distributed attack stays bounded too.
 *
 * An attempt refused by a limit never counts against the limits after it, so an address that keeps
 * hammering a refused account does not use up the account's shared budget.
 */
import { AuthdockError } from '../errors.js'
import type { ResolvedConfig } from '../config.js'
import type { AttemptCounter, Store } from '../store/types.js'

type Limits = ResolvedConfig['login']['passwordThrottle']

/** Which limit refused an attempt (for the audit trail). */
export type ThrottleScope = 'address' | 'account_address' | 'account'

export class PasswordThrottle {
  private readonly perAddress: AttemptCounter
  private readonly perAccountAndAddress: AttemptCounter
  private readonly perAccount: AttemptCounter

  constructor(store: Store, limits: Limits) {
    const { windowMs } = limits
    this.perAddress = store.attempts.counter('password-address', { max: limits.maxPerAddress, windowMs })
    this.perAccountAndAddress = store.attempts.counter('password-account-address', {
      max: limits.maxPerAccountAndAddress,
      windowMs,
    })
    this.perAccount = store.attempts.counter('password-account', { max: limits.maxPerAccount, windowMs })
  }

  /**
   * Count one attempt of `username` from `address`. Throws LOGIN_THROTTLED (with the refusing
   * limit as `details.scope`) when a limit is full; the password must then not be checked.
   */
  async admit(username: string, address: string): Promise<void> {
    const { account, pair } = keys(username, address)
    if (!(await this.perAddress.consume(address)).allowed) throw throttled('address')
    if (!(await this.perAccountAndAddress.consume(pair)).allowed) throw throttled('account_address')
    if (!(await this.perAccount.consume(account)).allowed) {
      // The owner retrying from their own address while the account is under attack elsewhere
      // should not also run into their per-address limit afterwards: nothing was checked.
      await this.perAccountAndAddress.reward(pair)
      throw throttled('account')
    }
  }

  /** The password was right: this address starts afresh for the account; the shared counts get their attempt back. */
  async succeeded(username: string, address: string): Promise<void> {
    const { account, pair } = keys(username, address)
    await Promise.all([
      this.perAccountAndAddress.delete(pair),
      this.perAccount.reward(account),
      this.perAddress.reward(address),
    ])
  }
}

function keys(username: string, address: string) {
  const account = username.trim().toLowerCase()
  return { account, pair: JSON.stringify([account, address]) }
}

function throttled(scope: ThrottleScope): AuthdockError {
  return new AuthdockError('LOGIN_THROTTLED', 'Too many failed logins. Wait a few minutes and try again.', {
    details: { reason: 'throttled', scope },
  })
}
