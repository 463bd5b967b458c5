/**
 * Field rules shared by the bodies an administrator sends (OAuth2 profiles, login providers): the
 * HTML form sends every value as a string and checkboxes present or absent, the JSON API sends
 * typed values, and both go through the same zod schema. One rule for text, secrets, URLs, dates
 * and checkboxes, and one way to turn a failed parse into `VALIDATION_FAILED` naming the fields.
 */
import { z } from 'zod'
import { AuthdockError } from '../errors.js'
import { fieldMessage } from './i18n.js'

// C0 controls and DEL: never part of a name, scope or client id (header and log injection).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f]/

const NO_CONTROL = fieldMessage('controlCharacters')

/** Form values arrive as strings; an empty or blank one means "not given". */
export const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
export const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v)

const atMost = (max: number) => fieldMessage('tooLong', { max })

/** Required one-line text, trimmed. */
export const text = (max: number) =>
  z
    .preprocess(
      trimmed,
      z
        .string({ error: fieldMessage('required') })
        .min(1, fieldMessage('required'))
        .max(max, atMost(max)),
    )
    .refine((v) => !CONTROL.test(v), NO_CONTROL)

/** Optional one-line text; blank means not given. */
export const optionalText = (max: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string({ error: fieldMessage('text') })
      .max(max, atMost(max))
      .refine((v) => !CONTROL.test(v), NO_CONTROL)
      .optional(),
  )

/**
 * A write-only client secret: empty keeps the stored one (undefined), `null` removes it. Never
 * trimmed: a secret is taken as entered.
 */
export const secretText = (max: number) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string({ error: fieldMessage('text') })
      .max(max, atMost(max))
      .refine((v) => !CONTROL.test(v), NO_CONTROL)
      .nullable()
      .optional(),
  )

/** One of `ids`; blank means none. */
export const optionalChoice = <const T extends readonly [string, ...string[]]>(ids: T) =>
  z.preprocess(
    blankToUndefined,
    z
      .enum(ids, { error: fieldMessage('oneOf', { list: ids.join(', ') }) })
      .nullable()
      .optional(),
  )

/** A checkbox: a form sends "on" when ticked (and nothing otherwise); JSON sends a boolean. */
export const checkbox = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v
    const lower = v.toLowerCase()
    if (['on', '1', 'true', 'yes'].includes(lower)) return true
    if (['', 'off', '0', 'false', 'no'].includes(lower)) return false
    return v
  },
  z.boolean({ error: fieldMessage('boolean') }).optional(),
)

/** A day (YYYY-MM-DD, midnight UTC) or an ISO timestamp; blank means none. */
export const date = z.preprocess(
  (v) => {
    const b = blankToUndefined(v)
    if (typeof b === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(b.trim())) {
      const day = b.trim().length === 10
      const d = new Date(day ? `${b.trim()}T00:00:00Z` : b.trim())
      // Date rolls 2030-02-31 over to March 3rd; a day that does not exist is an error instead.
      return Number.isNaN(d.getTime()) || (day && d.toISOString().slice(0, 10) !== b.trim()) ? b : d
    }
    return b
  },
  z
    .date({ error: fieldMessage('date') })
    .nullable()
    .optional(),
)

export const CREDENTIALS_IN_URL = fieldMessage('noCredentialsInUrl')

/**
 * Whether a URL carries a user name or password. Such URLs are refused: they are stored and shown
 * in clear, and a password in them would leak.
 */
export function hasCredentials(url: string): boolean {
  if (!URL.canParse(url)) return false
  const { username, password } = new URL(url)
  return Boolean(username || password)
}

/** A day as a body value (YYYY-MM-DD), or `none` when there is no date. */
export function bodyDay<N>(d: Date | null, none: N): string | N {
  return d ? d.toISOString().slice(0, 10) : none
}

/**
 * Validate a body with `schema`. Throws `VALIDATION_FAILED` (400) whose `fields` map each
 * offending field to what is wrong (the first problem of each); never echoes a value, so a secret
 * cannot leak through it.
 *
 * @param noun what the body describes, for the message: "profile", "login provider".
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, noun: string): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AuthdockError('VALIDATION_FAILED', `The request body must be an object of ${noun} fields.`)
  }
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const fields: Record<string, string> = {}
  for (const issue of parsed.error.issues) fields[String(issue.path[0] ?? 'body')] ??= issue.message
  const list = Object.entries(fields)
    .map(([k, v]) => `"${k}" ${v}`)
    .join('; ')
  throw new AuthdockError('VALIDATION_FAILED', `The ${noun} is not valid: ${list}.`, { fields })
}

/** PATCH: the stored values (as body values), overwritten by the fields the client sent. */
export function mergePatch(stored: Record<string, unknown>, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body
  return { ...stored, ...(body as Record<string, unknown>) }
}
