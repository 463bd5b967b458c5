/**
 * What a log line says about an error: its code and the message that says what went wrong, and
 * the same of its cause (the host callback's own error, the network failure under a provider
 * error). Shortened, control characters removed, and credentials that can hide in free text (a
 * bearer header, a JWT) replaced: the logger never receives a secret, nor a stack or a body.
 */
import { redactText } from '../audit/redact.js'

export interface ErrorLogFields {
  name?: string
  code?: string
  message: string
  cause?: { name?: string; code?: string; message: string }
}

const MAX = 300

function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- one log line: no line breaks or escapes from foreign text
  return redactText(text.replace(/[\u0000-\u001f\u007f]+/g, ' ')).slice(0, MAX)
}

function one(err: unknown): { name?: string; code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return { name: err.name, ...(typeof code === 'string' ? { code } : {}), message: clean(err.message) }
  }
  return { message: clean(String(err)) }
}

/**
 * @example
 * logger.warn({ providerId, ...errorLogFields(err) }, 'authdock login failed')
 */
export function errorLogFields(err: unknown): ErrorLogFields {
  const fields: ErrorLogFields = one(err)
  const cause = err instanceof Error ? err.cause : undefined
  if (cause !== undefined && cause !== null) fields.cause = one(cause)
  return fields
}
