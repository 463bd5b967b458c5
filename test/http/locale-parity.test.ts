import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/errors.js'
import { I18n } from '../../src/http/i18n.js'
import { packageViewsDir } from '../../src/http/package-dir.js'

const LOCALES = join(packageViewsDir, 'locales')
type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v)
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv)
  }
  return out
}
const read = (lang: string, file: string) =>
  flatten(JSON.parse(readFileSync(join(LOCALES, lang, file), 'utf8')) as Tree)
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('locales: English and German say the same things', () => {
  it('have the same files', () => {
    expect(readdirSync(join(LOCALES, 'de')).sort()).toEqual(readdirSync(join(LOCALES, 'en')).sort())
  })

  for (const file of readdirSync(join(LOCALES, 'en'))) {
    it(`${file}: same keys, no empty text, same placeholders`, () => {
      const en = read('en', file)
      const de = read('de', file)
      expect([...de.keys()].sort()).toEqual([...en.keys()].sort())
      for (const [key, text] of en) {
        expect(text.trim(), `en ${file} ${key}`).not.toBe('')
        expect(de.get(key)?.trim(), `de ${file} ${key}`).not.toBe('')
        expect(placeholders(de.get(key) ?? ''), `${file} ${key}`).toEqual(placeholders(text))
      }
    })
  }

  it('every error code has a text in both languages', () => {
    const en = read('en', 'errors.json')
    const de = read('de', 'errors.json')
    for (const code of Object.keys(ERROR_CODES)) {
      expect(en.get(code), `en ${code}`).toBeTruthy()
      expect(de.get(code), `de ${code}`).toBeTruthy()
    }
  })

  it('every English field phrase reads back as its own key, in German', () => {
    const i18n = new I18n()
    const de = i18n.fieldTranslator('de')
    const en = read('en', 'fields.json')
    const deTexts = read('de', 'fields.json')
    for (const [key, phrase] of en) {
      const sample = phrase.replace(/\{(\w+)\}/g, 'X1')
      expect(de(sample), key).toBe(deTexts.get(key)?.replace(/\{(\w+)\}/g, 'X1'))
    }
  })
})
