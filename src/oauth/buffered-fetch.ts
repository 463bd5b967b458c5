/**
 * The requests openid-client sends (token, JWKS, discovery, UserInfo, revocation: `redirect:
 * 'manual'`, a form or no body) through undici's `request`, the answer read whole into a Response.
 * undici's `fetch` builds WHATWG request, stream and signal objects on both sides of every request:
 * on Node 20 a token request cost about 0.5 ms of the process's time that way against about 0.3 ms
 * like this (bench/login.ts). Provider answers are small JSON documents that every caller reads
 * whole anyway. Anything else (a redirect to follow, a streamed body) still goes through `fetch`.
 *
 * What a caller sees stays fetch's: a Response (undici's class, as before), an aborted request
 * rejects with the signal's reason (a TimeoutError for our timeout), and a request that got no
 * answer rejects with `TypeError('fetch failed')` carrying the cause (a refused connection, an
 * address the outbound check refused), so error mapping downstream does not change.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import type { Dispatcher } from 'undici'

type Undici = typeof import('undici')

/** Statuses whose Response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** What this path reads of a fetch init (openid-client's CustomFetchOptions, or a RequestInit). */
export interface FetchInit {
  method?: string
  headers?: unknown
  body?: unknown
  redirect?: string
}

/** Whether `init` is a request this path sends exactly as fetch would. */
export function isBufferable(init: FetchInit): boolean {
  const body = init.body
  return (
    init.redirect === 'manual' &&
    (body === undefined || body === null || typeof body === 'string' || body instanceof URLSearchParams)
  )
}

export async function bufferedFetch(
  undici: Undici,
  dispatcher: Dispatcher,
  url: string,
  init: FetchInit,
  signal: AbortSignal,
): Promise<Response> {
  const headers = headerRecord(init.headers)
  let body: string | undefined
  if (init.body instanceof URLSearchParams) {
    body = init.body.toString()
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8'
  } else if (typeof init.body === 'string') {
    body = init.body
    headers['content-type'] ??= 'text/plain;charset=UTF-8'
  }
  // What undici's fetch would have added.
  headers.accept ??= '*/*'
  headers['user-agent'] ??= 'undici'
  const abort = abortOf(signal)
  try {
    const request = undici.request(url, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body,
      dispatcher,
      signal,
    })
    // Settled later (or never) when the abort wins the race below: nobody waits for it then.
    request.catch(() => undefined)
    const answer = await Promise.race([request, abort.aborted])
    const reading = answer.body.arrayBuffer()
    reading.catch(() => undefined)
    const raw = Buffer.from(await Promise.race([reading, abort.aborted]))
    const responseHeaders = new undici.Headers()
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v)
      else if (value !== undefined) responseHeaders.append(name, value)
    }
    const response = new undici.Response(
      NULL_BODY.has(answer.statusCode) ? null : decoded(raw, responseHeaders.get('content-encoding')),
      { status: answer.statusCode, headers: responseHeaders },
    )
    Object.defineProperty(response, 'url', { value: url })
    return response as unknown as Response
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw new TypeError('fetch failed', { cause: err })
  } finally {
    abort.release()
  }
}

/**
 * A promise that rejects with the signal's reason once it aborts. undici's `request` does not hear
 * its signal while a ProxyAgent waits for the proxy to answer CONNECT: a proxy that accepts and never
 * answers held the request until undici's own 300 s header timeout, past our timeout. fetch rejects
 * at once on abort whatever the dispatcher does; so does this path now (the tunnel attempt is then
 * left to undici's timeouts, as fetch leaves it).
 */
function abortOf(signal: AbortSignal): { aborted: Promise<never>; release(): void } {
  let onAbort = () => {}
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  aborted.catch(() => undefined)
  return { aborted, release: () => signal.removeEventListener('abort', onAbort) }
}

/** fetch decodes a compressed answer by itself (none is asked for here, but a server may send one). */
function decoded(raw: Buffer, encoding: string | null): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw)
    case 'deflate':
      return inflateSync(raw)
    case 'br':
      return brotliDecompressSync(raw)
    default:
      return raw
  }
}

/** The request's headers as undici's `request` takes them: lower-case names, repeated ones joined. */
function headerRecord(input: unknown): Record<string, string> {
  const record: Record<string, string> = {}
  const add = (name: string, value: string) => {
    const key = name.toLowerCase()
    record[key] = key in record ? `${record[key]}, ${value}` : value
  }
  if (!input || typeof input !== 'object') return record
  if (Array.isArray(input)) for (const [name, value] of input as Array<[string, string]>) add(name, value)
  else if (typeof (input as Headers).forEach === 'function')
    (input as Headers).forEach((value: string, name: string) => add(name, value))
  else for (const [name, value] of Object.entries(input as Record<string, string>)) add(name, String(value))
  return record
}
