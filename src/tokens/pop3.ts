/**
 * A tiny POP3 client that does just enough for a connection test: greeting, `AUTH XOAUTH2`,
 * `QUIT`. There is no maintained POP3 client with XOAUTH2 on npm; this is ~80 lines instead.
 */
import net from 'node:net'
import tls from 'node:tls'
import { xoauth2 } from './sasl.js'

export class Pop3Error extends Error {
  override readonly name = 'Pop3Error'
  constructor(
    readonly stage: 'connect' | 'auth',
    message: string,
  ) {
    super(message)
  }
}

export interface Pop3LoginOptions {
  host: string
  port: number
  /** Implicit TLS (POP3S). */
  secure: boolean
  user: string
  accessToken: string
  timeoutMs: number
  tls?: tls.ConnectionOptions
}

/** Connect, log in with XOAUTH2 and quit. Resolves when the server accepted the token. */
export async function pop3XOAuth2Login(options: Pop3LoginOptions): Promise<void> {
  const socket = options.secure
    ? tls.connect({ host: options.host, port: options.port, servername: net.isIP(options.host) ? undefined : options.host, ...options.tls })
    : net.connect({ host: options.host, port: options.port })
  socket.setTimeout(options.timeoutMs)
  const lines: string[] = []
  const waiters: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = []
  let buffer = ''
  let failure: Error | null = null
  const fail = (err: Error) => {
    failure ??= err
    for (const w of waiters.splice(0)) w.reject(failure)
  }
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    let i: number
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, i)
      buffer = buffer.slice(i + 2)
      const waiter = waiters.shift()
      if (waiter) waiter.resolve(line)
      else lines.push(line)
    }
  })
  socket.on('timeout', () => {
    fail(new Error('timed out'))
    socket.destroy()
  })
  socket.on('error', (err) => fail(err))
  socket.on('close', () => fail(new Error('connection closed')))
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift()
      if (line !== undefined) resolve(line)
      else if (failure) reject(failure)
      else waiters.push({ resolve, reject })
    })

  try {
    let greeting: string
    try {
      greeting = await next()
    } catch (err) {
      throw new Pop3Error('connect', (err as Error).message)
    }
    if (!greeting.startsWith('+OK')) throw new Pop3Error('connect', `unexpected greeting: ${greeting.slice(0, 120)}`)
    socket.write(`AUTH XOAUTH2 ${xoauth2(options.user, options.accessToken)}\r\n`)
    let answer = await next().catch((err: Error) => Promise.reject(new Pop3Error('auth', err.message)))
    if (answer.startsWith('+ ') || answer === '+') {
      // XOAUTH2 failure: a challenge with the error as base64 JSON; an empty line ends the exchange.
      socket.write('\r\n')
      answer = await next().catch((err: Error) => Promise.reject(new Pop3Error('auth', err.message)))
    }
    if (!answer.startsWith('+OK')) throw new Pop3Error('auth', answer.slice(0, 200))
    socket.write('QUIT\r\n')
    await next().catch(() => undefined)
  } finally {
    socket.destroy()
  }
}
