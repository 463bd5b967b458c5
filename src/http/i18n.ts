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
    return (key, vars) => {
      const text = lookup(this.messages[lang], key) ?? lookup(this.messages.en, key) ?? key
      return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text
    }
  }
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
