/**
 * German and English texts. Messages live in views/locales/<lang>/<area>.json (one file per area:
 * common, login, admin, tokens, ops) and are addressed as `<area>.<key…>`, e.g. `login.retry.title`.
 * Placeholders are `{name}`; values are inserted as text (the templates escape them).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join, basename } from 'node:path'
import type { Request } from 'express'
import { packageViewsDir } from './package-dir.js'

export const LANGUAGES = ['en', 'de'] as const
/**
 * A language of authdock's pages.
 *
 * @example
 * const lang: Language = dock.language(req) // 'en' | 'de'
 */
export type Language = (typeof LANGUAGES)[number]

type Messages = Record<string, unknown>

function loadLanguage(lang: Language, dirs: string[]): Messages {
  const out: Messages = {}
  for (const dir of dirs) {
    const folder = join(dir, 'locales', lang)
    if (!existsSync(folder)) continue
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
      const area = basename(file, '.json')
      const parsed = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Messages
      out[area] = { ...(out[area] as Messages | undefined), ...parsed }
    }
  }
  return out
}

/**
 * authdock's texts by key, with `{name}` placeholders filled from `vars`.
 *
 * @example
 * const t: Translate = dock.translator(req)
 * t('common.error.title')
 */
export type Translate = (key: string, vars?: Record<string, string | number>) => string

export class I18n {
  private readonly messages: Record<Language, Messages>

  /** `overrideDir`: a host views folder whose locales/ may override single messages. */
  constructor(overrideDir?: string) {
    const dirs = overrideDir ? [packageViewsDir, overrideDir] : [packageViewsDir]
    this.messages = { en: loadLanguage('en', dirs), de: loadLanguage('de', dirs) }
  }

  translator(lang: Language): Translate {
    return (key, vars) => fill(lookup(this.messages[lang], key) ?? lookup(this.messages.en, key) ?? key, vars)
  }

  /**
   * Field errors travel as English phrases (the JSON API and logs show them as they are); every
   * phrase is one of `fields.<key>` in the English locale. A page turns a phrase back into its key
   * and placeholder values and shows the same key in its own language. A phrase outside the
   * vocabulary is shown as it is.
   */
  fieldTranslator(lang: Language): (message: string) => string {
    const t = this.translator(lang)
    return (message) => {
      const found = this.fieldPatterns().find((p) => p.pattern.test(message))
      if (!found) return message
      const vars = found.pattern.exec(message)?.groups
      return t(`fields.${found.key}`, vars ? { ...vars } : undefined)
    }
  }

  private patterns?: Array<{ key: string; pattern: RegExp }>

  private fieldPatterns(): Array<{ key: string; pattern: RegExp }> {
    if (this.patterns) return this.patterns
    const fields = (this.messages.en.fields ?? {}) as Messages
    this.patterns = Object.entries(fields)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([key, text]) => {
        const source = text
          .split(/(\{\w+\})/)
          .map((part) => {
            const name = /^\{(\w+)\}$/.exec(part)?.[1]
            return name ? `(?<${name}>.+?)` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          })
          .join('')
        return { key, pattern: new RegExp(`^${source}$`), placeholders: (text.match(/\{\w+\}/g) ?? []).length }
      })
      // A phrase without placeholders wins over one whose placeholder could swallow it.
      .sort((a, b) => a.placeholders - b.placeholders)
    return this.patterns
  }
}

function fill(text: string, vars?: Record<string, string | number>): string {
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text
}

let packageTexts: I18n | undefined

/**
 * authdock's own English text of `key` (no host overrides): the one source of the English that
 * errors, logs and JSON answers carry, e.g. a token hint or a field error.
 *
 * @example
 * englishText('fields.tooLong', { max: 100 }) // 'must be at most 100 characters'
 */
export function englishText(key: string, vars?: Record<string, string | number>): string {
  packageTexts ??= new I18n()
  return packageTexts.translator('en')(key, vars)
}

/**
 * A field error in English, from the field vocabulary (views/locales/en/fields.json), so that
 * pages can show it in their own language.
 *
 * @example
 * fields.name = fieldMessage('tooLong', { max: 100 })
 */
export function fieldMessage(key: string, vars?: Record<string, string | number>): string {
  const text = englishText(`fields.${key}`, vars)
  if (text === `fields.${key}`) throw new Error(`authdock: no field message "${key}"`)
  return text
}

function lookup(messages: Messages, key: string): string | undefined {
  let node: unknown = messages
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Messages)[part]
  }
  return typeof node === 'string' ? node : undefined
}

/** The language for this request: a `lang` cookie/query choice, then Accept-Language, then English. */
export function pickLanguage(req: Request, configured: 'auto' | Language): Language {
  if (configured !== 'auto') return configured
  const chosen = (req.query?.lang as string | undefined) ?? readCookie(req, 'authdock.lang')
  if (chosen === 'de' || chosen === 'en') return chosen
  const accepted = req.acceptsLanguages(...LANGUAGES)
  return accepted === 'de' ? 'de' : 'en'
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return undefined
}
