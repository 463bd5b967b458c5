/**
 * A tiny POP3 client that does just enough for a connection test: greeting, `STLS` when asked,
 * `AUTH XOAUTH2` (or `AUTH OAUTHBEARER`), `QUIT`. There is no maintained POP3 client with XOAUTH2
 * on npm; this is ~140 lines instead. It sends AUTH only over TLS (implicit or STLS) unless told
 * the server is a cleartext loopback test server.
 */
import net from 'node:net'
import tls from 'node:tls'
import { AuthdockError } from '../errors.js'
import { oauthbearer, xoauth2 } from './sasl.js'

export class Pop3Error extends Error {
  override readonly name = 'Pop3Error'
  /** The underlying socket or TLS error's code (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`), when there was one. */
  readonly code?: string
  constructor(
    readonly stage: 'connect' | 'auth',
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause })
    const code = (cause as { code?: unknown } | undefined)?.code
    if (typeof code === 'string') this.code = code
  }
}

export interface Pop3LoginOptions {
  host: string
  port: number
  /** Implicit TLS (POP3S). */
  secure: boolean
  /** Upgrade with STLS (RFC 2595) before AUTH, and fail without it. */
  requireStartTls?: boolean
  /** Neither: a cleartext loopback test server (the caller checked the host). */
  plaintext?: boolean
  user: string
  accessToken: string
  timeoutMs: number
  tls?: tls.ConnectionOptions
  /** SASL mechanism; default XOAUTH2 (the one Microsoft 365 and Gmail both take). */
  mechanism?: 'XOAUTH2' | 'OAUTHBEARER'
}

/** Reads CRLF lines from one socket at a time; `attach` moves it to the TLS socket after STLS. */
class LineReader {
  private lines: string[] = []
  private waiters: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = []
  private buffer = ''
  private failure: Error | null = null
  private socket: net.Socket | null = null
  private readonly onData = (chunk: string) => {
    this.buffer += chunk
    let i: number
    while ((i = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, i)
      this.buffer = this.buffer.slice(i + 2)
      const waiter = this.waiters.shift()
      if (waiter) waiter.resolve(line)
      else this.lines.push(line)
    }
  }
  private readonly onError = (err: Error) => this.fail(err)
  private readonly onClose = () => this.fail(new Error('connection closed'))
  private readonly onTimeout = () => {
    this.fail(new Error('timed out'))
    this.socket?.destroy()
  }

  attach(socket: net.Socket, timeoutMs: number): void {
    this.socket = socket
    socket.setTimeout(timeoutMs)
    socket.setEncoding('utf8')
    socket.on('data', this.onData).on('error', this.onError).on('close', this.onClose).on('timeout', this.onTimeout)
  }

  /** Stop reading the cleartext socket. True when nothing more arrived after the last line read. */
  detach(): boolean {
    this.socket?.off('data', this.onData).off('close', this.onClose).off('timeout', this.onTimeout)
    // Errors of the cleartext socket during the handshake surface on the TLS socket too.
    this.socket?.off('error', this.onError).on('error', () => {})
    return this.lines.length === 0 && this.buffer.length === 0
  }

  fail(err: Error): void {
    this.failure ??= err
    for (const w of this.waiters.splice(0)) w.reject(this.failure)
  }

  next(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const line = this.lines.shift()
      if (line !== undefined) resolve(line)
      else if (this.failure) reject(this.failure)
      else this.waiters.push({ resolve, reject })
    })
  }
}

const servername = (host: string) => (net.isIP(host) ? undefined : host)

/** Connect, log in with XOAUTH2 (or OAUTHBEARER) and quit. Resolves when the server accepted the token. */
export async function pop3XOAuth2Login(options: Pop3LoginOptions): Promise<void> {
  if (!options.secure && !options.requireStartTls && !options.plaintext) {
    throw new AuthdockError(
      'MAIL_TLS_REQUIRED',
      'A POP3 login needs implicit TLS or STLS; the token is not sent in cleartext (no_tls).',
      { expose: true, details: { reason: 'no_tls' } },
    )
  }
  const tlsOptions = {
    host: options.host,
    servername: servername(options.host),
    ...options.tls,
    rejectUnauthorized: true,
  }
  let socket: net.Socket = options.secure
    ? tls.connect({ ...tlsOptions, port: options.port })
    : net.connect({ host: options.host, port: options.port })
  const reader = new LineReader()
  reader.attach(socket, options.timeoutMs)
  const connectStep = (err: unknown) => Promise.reject(new Pop3Error('connect', (err as Error).message, err))
  const authStep = (err: unknown) => Promise.reject(new Pop3Error('auth', (err as Error).message, err))

  try {
    const greeting = await reader.next().catch(connectStep)
    if (!greeting.startsWith('+OK')) throw new Pop3Error('connect', `unexpected greeting: ${greeting.slice(0, 120)}`)
    if (!options.secure && options.requireStartTls) {
      socket.write('STLS\r\n')
      const answer = await reader.next().catch(connectStep)
      if (!answer.startsWith('+OK')) {
        throw new AuthdockError(
          'MAIL_TLS_REQUIRED',
          'The POP3 server did not accept STLS; authdock sends a token only over TLS, so it was not sent (starttls_unavailable).',
          { expose: true, details: { reason: 'starttls_unavailable' } },
        )
      }
      // Anything after the +OK and before the handshake was injected in cleartext (RFC 2595 section 4).
      if (!reader.detach()) {
        throw new AuthdockError(
          'MAIL_TLS_REQUIRED',
          'The POP3 server sent data between STLS and the TLS handshake; the token was not sent (starttls_injection).',
          { expose: true, details: { reason: 'starttls_injection' } },
        )
      }
      const secured = tls.connect({ ...tlsOptions, socket })
      socket = secured
      reader.attach(secured, options.timeoutMs)
      await new Promise<void>((resolve, reject) => {
        secured.once('secureConnect', resolve)
        secured.once('error', reject)
      }).catch(connectStep)
    }
    const bearer = options.mechanism === 'OAUTHBEARER'
    const initial = bearer
      ? oauthbearer(options.user, options.accessToken, servername(options.host) ?? options.host, options.port)
      : xoauth2(options.user, options.accessToken)
    socket.write(`AUTH ${bearer ? 'OAUTHBEARER' : 'XOAUTH2'} ${initial}\r\n`)
    let answer = await reader.next().catch(authStep)
    if (answer.startsWith('+ ') || answer === '+') {
      // A failure: a challenge with the error as base64 JSON. XOAUTH2 ends the exchange with an
      // empty line, OAUTHBEARER with a lone ^A (RFC 7628 section 3.2.3).
      socket.write(bearer ? 'AQ==\r\n' : '\r\n')
      answer = await reader.next().catch(authStep)
    }
    if (!answer.startsWith('+OK')) throw new Pop3Error('auth', answer.slice(0, 200))
    socket.write('QUIT\r\n')
    await reader.next().catch(() => undefined)
  } finally {
    socket.destroy()
  }
}
