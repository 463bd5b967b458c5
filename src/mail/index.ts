/**
 * `dock.mail`: the metadata a host needs to build its mail-account form (account types, and the
 * profiles each type may use with their warnings), translated like authdock's own pages.
 */
import type { Request } from 'express'
import type { DockContext } from '../context.js'
import type { Language } from '../http/i18n.js'
import { ProfileService } from '../profiles/service.js'
import type { TokenProvider } from '../tokens/types.js'
import {
  checkMailAccountType,
  describeMailAccountTypes,
  mailProfileChoices,
  type MailAccountTypeInfo,
  type MailProfileChoice,
} from './account-types.js'

/**
 * In which language `dock.mail` writes its texts, and which profile to list even when invalid.
 *
 * @example
 * await dock.mail.accountTypes({ language: 'de', include: account.profileId })
 */
export interface MailTextOptions {
  /** Texts in the request's language (the same choice as authdock's pages). */
  req?: Request
  /** Texts in this language when there is no `req`; default: the `language` option, else English. */
  language?: Language
  /** A profile to list even when it is no longer valid: the account's current one. */
  include?: string | null
}

/**
 * `dock.mail`: what a host's mail-account form needs: the account types and the profiles each may use.
 *
 * @example
 * const types = await dock.mail.accountTypes({ req })
 * const choices = await dock.mail.profilesFor('SMTPTLS_OAuth2', { req })
 */
export interface MailModule {
  /**
   * Every account type (password types first, then the `…_OAuth2` types) with port, TLS mode,
   * direction, whether a profile replaces the password, provider notes, and for each OAuth2 type
   * the profiles it may use with per-profile warnings.
   *
   * @example
   * const types = await dock.mail.accountTypes({ req })
   * // [{ type: 'IMAPS_OAuth2', port: 993, tlsMode: 'implicit', usesProfile: true, notes, profiles: [{ id, name, warnings }] }, …]
   */
  accountTypes(options?: MailTextOptions): Promise<MailAccountTypeInfo[]>
  /**
   * The profiles an account of `type` may use (valid ones, plus `include`), each with its
   * warnings for that type. Empty for a password type; VALIDATION_FAILED naming `type` for an
   * unknown one. A host checks a submitted profile against this list.
   *
   * @example
   * const ok = (await dock.mail.profilesFor(form.type)).some((p) => p.id === form.profileId)
   */
  profilesFor(type: string, options?: MailTextOptions): Promise<MailProfileChoice[]>
}

export function createMailModule(ctx: DockContext, tokens: TokenProvider): MailModule {
  // Read-only use of the profile rows; the service is stateless, a second instance costs nothing.
  const service = new ProfileService(ctx, tokens)
  const translator = (options: MailTextOptions) => {
    const fallback = ctx.config.language === 'auto' ? 'en' : ctx.config.language
    return options.req ? ctx.views.translator(options.req) : ctx.views.i18n.translator(options.language ?? fallback)
  }
  return {
    async accountTypes(options = {}) {
      const t = translator(options)
      const rows = await service.rows()
      return describeMailAccountTypes(t).map((info) => ({
        ...info,
        profiles: mailProfileChoices(info.type, rows, t, options.include),
      }))
    },
    async profilesFor(type, options = {}) {
      const checked = checkMailAccountType(type)
      return mailProfileChoices(checked, await service.rows(), translator(options), options.include)
    },
  }
}

export type {
  MailAccountTypeInfo,
  MailProfileChoice,
  MailAccountNote,
  MailNoteCode,
  PasswordMailAccountType,
} from './account-types.js'
