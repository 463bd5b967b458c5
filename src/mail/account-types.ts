/**
 * What a host's mail-account form needs to know about the account types of ticket systems: port,
 * TLS mode, direction, whether an OAuth2 profile replaces the password, provider notes, and which
 * profiles a type may use with a warning per profile. Pure functions over a translator and the
 * profile rows; `dock.mail` (./index.ts) feeds them.
 */
import { AuthdockError } from '../errors.js'
import type { Translate } from '../http/i18n.js'
import { accountMismatch } from '../profiles/mailbox.js'
import type { ProfileRow } from '../profiles/service.js'
import type { GrantType } from '../store/types.js'
import { MAIL_ACCOUNT_TYPES, isMailAccountType, type MailAccountType, type MailTransportSpec } from './adapters.js'

/**
 * The types that log in with a password, as the ticket system names them. authdock never connects with these.
 *
 * @example
 * const type: PasswordMailAccountType = 'IMAPS' // logs in with a password; authdock never connects with it
 */
export type PasswordMailAccountType =
  'IMAP' | 'IMAPS' | 'IMAPTLS' | 'POP3' | 'POP3S' | 'POP3TLS' | 'SMTP' | 'SMTPS' | 'SMTPTLS'

/**
 * What a note is about.
 *
 * @example
 * if (info.warnings.some((n) => n.code === 'microsoft365_not_supported')) hideType(info.type)
 */
export type MailNoteCode =
  | 'starttls_required'
  | 'microsoft365_not_supported'
  | 'microsoft365_smtptls_required'
  | 'microsoft365_recommended'
  | 'profile_not_authorized'
  | 'profile_reauthorization_required'
  | 'profile_token_error'
  | 'profile_invalid'
  | 'profile_account_mismatch'

/**
 * A note on an account type or profile the administrator should read (translated).
 *
 * @example
 * for (const note of info.warnings) show(note.level, note.message)
 */
export interface MailAccountNote {
  code: MailNoteCode
  level: 'warning' | 'info'
  /** The profile preset the note is about (`microsoft365`), or null when it holds for any profile. */
  preset: string | null
  /** Translated text (plain; escape it like any text). */
  message: string
}

/**
 * One profile a mail account of a type may use, with what the administrator should know.
 *
 * @example
 * const options = (await dock.mail.profilesFor('IMAPS_OAuth2')).map((p) => `<option value="${p.id}">${p.name}</option>`)
 */
export interface MailProfileChoice {
  id: string
  name: string
  preset: string | null
  grantType: GrantType
  valid: boolean
  /** The mailbox the profile is for: a good default for the account's user (the XOAUTH2 user). */
  mailbox: string | null
  /** Who consented at the last "renew authorization". */
  authorizedAccount: string | null
  /** `authorized`: holds a token; `on_demand`: client credentials, fetched when needed. */
  state: 'authorized' | 'not_authorized' | 'reauthorization_required' | 'error' | 'on_demand'
  /** Provider notes for this type and this profile's preset, and notes on the profile's state. */
  warnings: MailAccountNote[]
}

/**
 * One account type as a mail-account form shows it: port, TLS mode, direction, whether a profile
 * replaces the password, notes, and the profiles it may use.
 *
 * @example
 * const info = (await dock.mail.accountTypes()).find((t) => t.type === form.type)
 * if (info?.usesProfile) requireProfile(form)
 */
export interface MailAccountTypeInfo {
  type: MailAccountType | PasswordMailAccountType
  protocol: MailTransportSpec['protocol']
  direction: MailTransportSpec['direction']
  /** The standard port; a form offers it as the default. */
  port: number
  /** `none` only for the password types IMAP, POP3 and SMTP (the ticket system's cleartext types). */
  tlsMode: MailTransportSpec['tlsMode'] | 'none'
  /** Translated one-line description of the TLS mode. */
  tlsLabel: string
  /** True for the `…_OAuth2` types: the form shows a profile field and hides the password. */
  usesProfile: boolean
  /** The same connection of the other kind: `IMAPS` ↔ `IMAPS_OAuth2`. */
  counterpart: string
  /** Provider notes, each naming the preset it is about (or null for every profile). */
  notes: MailAccountNote[]
  /** Only from `dock.mail.accountTypes()`: the profiles the type may use (empty for password types). */
  profiles?: MailProfileChoice[]
}

const PASSWORD_TYPES: Record<
  PasswordMailAccountType,
  { protocol: MailTransportSpec['protocol']; port: number; tlsMode: MailAccountTypeInfo['tlsMode'] }
> = {
  IMAP: { protocol: 'imap', port: 143, tlsMode: 'none' },
  IMAPS: { protocol: 'imap', port: 993, tlsMode: 'implicit' },
  IMAPTLS: { protocol: 'imap', port: 143, tlsMode: 'starttls' },
  POP3: { protocol: 'pop3', port: 110, tlsMode: 'none' },
  POP3S: { protocol: 'pop3', port: 995, tlsMode: 'implicit' },
  POP3TLS: { protocol: 'pop3', port: 110, tlsMode: 'starttls' },
  SMTP: { protocol: 'smtp', port: 25, tlsMode: 'none' },
  SMTPS: { protocol: 'smtp', port: 465, tlsMode: 'implicit' },
  SMTPTLS: { protocol: 'smtp', port: 587, tlsMode: 'starttls' },
}

/** Every type name a form may offer: the password types, then their OAuth2 counterparts. */
export const ALL_MAIL_ACCOUNT_TYPES: ReadonlyArray<MailAccountType | PasswordMailAccountType> = [
  ...(Object.keys(PASSWORD_TYPES) as PasswordMailAccountType[]),
  ...(Object.keys(MAIL_ACCOUNT_TYPES) as MailAccountType[]),
]

interface NoteRule {
  code: MailNoteCode
  level: MailAccountNote['level']
  preset: string | null
  types: MailAccountType[]
  vars?: (type: MailAccountType) => Record<string, string | number>
}

// Microsoft 365 takes IMAP on 993 and POP on 995 (implicit TLS) and authenticated SMTP on 587
// with STARTTLS; the ticket system's manual says the same for IMAPTLS and for outgoing mail.
const M365_INBOUND: Partial<Record<MailAccountType, MailAccountType>> = {
  IMAP_OAuth2: 'IMAPS_OAuth2',
  IMAPTLS_OAuth2: 'IMAPS_OAuth2',
  POP3_OAuth2: 'POP3S_OAuth2',
  POP3TLS_OAuth2: 'POP3S_OAuth2',
}
const M365_HOST: Partial<Record<MailAccountType, string>> = {
  IMAPS_OAuth2: 'outlook.office365.com',
  POP3S_OAuth2: 'outlook.office365.com',
  SMTPTLS_OAuth2: 'smtp.office365.com',
}

const NOTE_RULES: NoteRule[] = [
  { code: 'starttls_required', level: 'info', preset: null, types: ['IMAP_OAuth2', 'POP3_OAuth2', 'SMTP_OAuth2'] },
  {
    code: 'microsoft365_not_supported',
    level: 'warning',
    preset: 'microsoft365',
    types: Object.keys(M365_INBOUND) as MailAccountType[],
    vars: (type) => ({ type, alternative: M365_INBOUND[type]!, port: MAIL_ACCOUNT_TYPES[M365_INBOUND[type]!].port }),
  },
  {
    code: 'microsoft365_smtptls_required',
    level: 'warning',
    preset: 'microsoft365',
    types: ['SMTP_OAuth2', 'SMTPS_OAuth2'],
    vars: (type) => ({ type }),
  },
  {
    code: 'microsoft365_recommended',
    level: 'info',
    preset: 'microsoft365',
    types: Object.keys(M365_HOST) as MailAccountType[],
    vars: (type) => ({ host: M365_HOST[type]!, port: MAIL_ACCOUNT_TYPES[type].port }),
  },
]

function notesOf(type: MailAccountType, t: Translate, preset?: string | null): MailAccountNote[] {
  return NOTE_RULES.filter(
    (r) => r.types.includes(type) && (preset === undefined || r.preset === null || r.preset === preset),
  ).map((r) => ({
    code: r.code,
    level: r.level,
    preset: r.preset,
    message: t(`mail.note.${r.code}`, r.vars?.(type)),
  }))
}

/** The description of every type, in the order a form lists them. */
export function describeMailAccountTypes(t: Translate): MailAccountTypeInfo[] {
  return ALL_MAIL_ACCOUNT_TYPES.map((type) => {
    if (isMailAccountType(type)) {
      const spec = MAIL_ACCOUNT_TYPES[type]
      return {
        type,
        protocol: spec.protocol,
        direction: spec.direction,
        port: spec.port,
        tlsMode: spec.tlsMode,
        tlsLabel: t(`mail.tls.${spec.tlsMode}`),
        usesProfile: true,
        counterpart: type.slice(0, -'_OAuth2'.length),
        notes: notesOf(type, t),
      }
    }
    const spec = PASSWORD_TYPES[type]
    return {
      type,
      protocol: spec.protocol,
      direction: spec.protocol === 'smtp' ? 'outbound' : 'inbound',
      port: spec.port,
      tlsMode: spec.tlsMode,
      tlsLabel: t(`mail.tls.${spec.tlsMode}`),
      usesProfile: false,
      counterpart: `${type}_OAuth2`,
      notes: [],
    }
  })
}

/** Throws VALIDATION_FAILED naming `type` for a name that is no account type. */
export function checkMailAccountType(type: unknown): MailAccountType | PasswordMailAccountType {
  if (typeof type === 'string' && (ALL_MAIL_ACCOUNT_TYPES as readonly string[]).includes(type))
    return type as MailAccountType | PasswordMailAccountType
  throw new AuthdockError('VALIDATION_FAILED', `Unknown mail account type "${String(type).slice(0, 40)}"`, {
    fields: { type: `must be one of ${ALL_MAIL_ACCOUNT_TYPES.join(', ')}` },
  })
}

function stateOf(row: ProfileRow): MailProfileChoice['state'] {
  const { profile, token } = row
  if (profile.grantType === 'client_credentials') return token?.status && token.status !== 'ok' ? 'error' : 'on_demand'
  if (token?.status === 'reauthorization_required') return 'reauthorization_required'
  if (!token?.hasRefreshToken && !token?.hasAccessToken) return 'not_authorized'
  return token.status === 'ok' ? 'authorized' : 'error'
}

const STATE_NOTES: Partial<Record<MailProfileChoice['state'], MailNoteCode>> = {
  not_authorized: 'profile_not_authorized',
  reauthorization_required: 'profile_reauthorization_required',
  error: 'profile_token_error',
}

/**
 * The profiles an account of `type` may use: the valid ones of either grant type, plus `include`
 * (the account's current profile) even when it is no longer valid, so editing an account never
 * silently drops its profile. A password type uses none.
 */
export function mailProfileChoices(
  type: MailAccountType | PasswordMailAccountType,
  rows: ProfileRow[],
  t: Translate,
  include?: string | null,
): MailProfileChoice[] {
  if (!isMailAccountType(type)) return []
  return rows
    .filter(({ profile }) => profile.valid || profile.id === include)
    .map((row) => {
      const { profile, token } = row
      const state = stateOf(row)
      const warnings = notesOf(type, t, profile.preset).filter((n) => n.preset !== null)
      const note = (code: MailNoteCode, vars?: Record<string, string>) =>
        warnings.push({ code, level: 'warning', preset: null, message: t(`mail.note.${code}`, vars) })
      if (!profile.valid) note('profile_invalid')
      const stateNote = STATE_NOTES[state]
      if (stateNote) note(stateNote)
      if (accountMismatch(profile.mailbox, token?.authorizedAccount ?? null)) {
        note('profile_account_mismatch', { mailbox: profile.mailbox!, account: token!.authorizedAccount! })
      }
      return {
        id: profile.id,
        name: profile.name,
        preset: profile.preset,
        grantType: profile.grantType,
        valid: profile.valid,
        mailbox: profile.mailbox,
        authorizedAccount: token?.authorizedAccount ?? null,
        state,
        warnings,
      }
    })
}
