/**
 * The example's mail accounts, as a ticket system keeps them: an account of an `…_OAuth2` type
 * names an OAuth2 profile and has no password; the other types keep a password (encrypted with the
 * same key as authdock's secrets). They live in one JSON file in the data folder, written whole and
 * renamed into place so that a crash never leaves half an account.
 */
import { randomUUID } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { AuthdockError, type Authdock, type MailAccountTypeInfo } from '../src/index.js'
import { Keyring } from './secret-box.js'

/**
 * What a submitted account is checked against: the account types and the profiles each type may
 * use, both from authdock's `dock.mail.accountTypes()` (the example keeps no type list of its own).
 */
export interface AccountRules {
  types: ReadonlyArray<Pick<MailAccountTypeInfo, 'type' | 'port' | 'usesProfile' | 'profiles'>>
}

/** The rules as authdock describes them now; `include` keeps an account's current profile listed. */
export async function accountRules(dock: Authdock, include?: string | null): Promise<AccountRules> {
  return { types: await dock.mail.accountTypes({ include }) }
}

const typeOf = (rules: AccountRules, type: string) => rules.types.find((t) => t.type === type)

/** An account as pages show it: never the password. */
export interface MailAccount {
  id: string
  name: string
  type: string
  host: string
  port: number
  user: string
  profileId: string | null
  hasPassword: boolean
}

interface StoredAccount extends Omit<MailAccount, 'hasPassword'> {
  /** Encrypted (Keyring format) or null. */
  password: string | null
}

export type MailAccountForm = Record<string, unknown>

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '')

export class MailAccounts {
  private accounts: StoredAccount[] = []
  private writing: Promise<void> = Promise.resolve()
  private readonly keyring: Keyring

  private constructor(
    private readonly file: string,
    encryptionKey: string,
  ) {
    this.keyring = new Keyring([encryptionKey])
  }

  static async open(file: string, encryptionKey: string): Promise<MailAccounts> {
    const accounts = new MailAccounts(file, encryptionKey)
    try {
      accounts.accounts = JSON.parse(await readFile(file, 'utf8')) as StoredAccount[]
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    return accounts
  }

  list(): MailAccount[] {
    return this.accounts.map(show)
  }

  get(id: string): MailAccount | null {
    const found = this.accounts.find((a) => a.id === id)
    return found ? show(found) : null
  }

  /** Names of the accounts that use a profile (authdock refuses to delete a profile in use). */
  usersOf(profileId: string): string[] {
    return this.accounts.filter((a) => a.profileId === profileId).map((a) => a.name)
  }

  password(id: string): string | null {
    const found = this.accounts.find((a) => a.id === id)
    return found?.password ? this.keyring.decrypt(found.password, `mail-account:${id}`) : null
  }

  /**
   * Create (no id) or update an account from a submitted form. Throws VALIDATION_FAILED naming the
   * fields. For an OAuth2 type the password is ignored and a stored one is removed; for a password
   * type the profile is ignored and an empty password keeps the stored one.
   */
  async save(form: MailAccountForm, rules: AccountRules, id?: string): Promise<MailAccount> {
    const existing = id ? this.accounts.find((a) => a.id === id) : undefined
    if (id && !existing) throw new AuthdockError('NOT_FOUND', 'This mail account does not exist')
    const fields: Record<string, string> = {}
    const name = text(form.name)
    const type = text(form.type)
    const host = text(form.host)
    const user = text(form.user)
    const portText = text(form.port)
    const password = typeof form.password === 'string' ? form.password : ''
    const profileId = text(form.profileId)
    const info = typeOf(rules, type)

    if (!name || name.length > 80) fields.name = 'required, at most 80 characters'
    else if (this.accounts.some((a) => a.name === name && a.id !== id)) fields.name = 'another account has this name'
    if (!info) fields.type = `must be one of ${rules.types.map((t) => t.type).join(', ')}`
    if (!/^[A-Za-z0-9.-]{1,253}$/.test(host) && !/^\[[0-9a-fA-F:]+\]$/.test(host))
      fields.host = 'must be a host name or IP address'
    const port = portText ? Number(portText) : (info?.port ?? 25)
    if (!Number.isInteger(port) || port < 1 || port > 65535) fields.port = 'must be a number from 1 to 65535'
    if (!user || user.length > 254) fields.user = 'required (the mailbox login, usually its address)'
    const oauth2 = info?.usesProfile === true
    if (oauth2 && !(profileId && info.profiles?.some((p) => p.id === profileId)))
      fields.profileId = 'choose an OAuth2 profile'
    if (info && !oauth2 && !password && !existing?.password) fields.password = 'required for this account type'
    if (Object.keys(fields).length) {
      throw new AuthdockError('VALIDATION_FAILED', `Please correct: ${Object.keys(fields).join(', ')}`, { fields })
    }

    const accountId = existing?.id ?? randomUUID()
    const stored: StoredAccount = {
      id: accountId,
      name,
      type,
      host,
      port,
      user,
      profileId: oauth2 ? profileId : null,
      password: oauth2
        ? null
        : password
          ? this.keyring.encrypt(password, `mail-account:${accountId}`)
          : (existing?.password ?? null),
    }
    await this.write((all) => (existing ? all.map((a) => (a.id === accountId ? stored : a)) : [...all, stored]))
    return show(stored)
  }

  async delete(id: string): Promise<boolean> {
    if (!this.accounts.some((a) => a.id === id)) return false
    await this.write((all) => all.filter((a) => a.id !== id))
    return true
  }

  /** Writes one at a time; the in-memory list changes only after the file is in place. */
  private write(change: (current: StoredAccount[]) => StoredAccount[]): Promise<void> {
    const run = this.writing.then(async () => {
      const next = change(this.accounts)
      const tmp = `${this.file}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(next, null, 2), { mode: 0o600 })
      await rename(tmp, this.file)
      this.accounts = next
    })
    this.writing = run.catch(() => undefined)
    return run
  }
}

function show(a: StoredAccount): MailAccount {
  const { password, ...rest } = a
  return { ...rest, hasPassword: Boolean(password) }
}
