/**
 * An SMTP sink for the example: accepts AUTH XOAUTH2 only and only after STARTTLS (with a
 * certificate of the example's dev CA), checks every token by introspection at the dev identity
 * provider (as Exchange Online checks Entra's tokens), and keeps received mails in memory for the
 * /mails page. It never delivers anything anywhere.
 */
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface Introspection {
  url: string
  clientId: string
  clientSecret: string
}

export interface SinkMail {
  receivedAt: Date
  /** The mailbox user the token was accepted for. */
  user: string
  from: string
  to: string[]
  subject: string
  text: string
}

export interface SinkAttempt {
  at: Date
  user: string
  accepted: boolean
  /** Whether the login came over TLS (always, since the sink offers AUTH only after STARTTLS). */
  secure: boolean
  /** Why a login was refused, in plain words (never the token). */
  reason?: string
}

export interface SmtpSink {
  host: string
  port: number
  /** Whether tokens are checked (false when the app uses an outside IdP the sink cannot ask). */
  verifiesTokens: boolean
  /** Newest first, at most 100. */
  mails: SinkMail[]
  attempts: SinkAttempt[]
  close(): Promise<void>
}

const KEEP = 100

async function introspect(client: Introspection, token: string): Promise<{ active: boolean; sub?: string }> {
  const basic = Buffer.from(
    `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
  ).toString('base64')
  const res = await fetch(client.url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ token }).toString(),
    signal: AbortSignal.timeout(5000),
  })
  if (!res.ok) throw new Error(`introspection answered HTTP ${res.status}`)
  return (await res.json()) as { active: boolean; sub?: string }
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`), as nodemailer writes non-ASCII subjects. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            )
      return bytes.toString('utf8')
    })
}

/** Subject and text body of a simple message (what nodemailer sends for a test mail). */
function parseMessage(raw: string): { subject: string; text: string } {
  const split = raw.search(/\r?\n\r?\n/)
  const head = split >= 0 ? raw.slice(0, split) : raw
  const body = split >= 0 ? raw.slice(split).trim() : ''
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
  const subject = decodeWords(/^subject:\s*(.*)$/im.exec(unfolded)?.[1] ?? '')
  const quotedPrintable = /^content-transfer-encoding:\s*quoted-printable/im.test(unfolded)
  const text = quotedPrintable
    ? Buffer.from(
        body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8')
    : body
  return { subject, text: text.slice(0, 4000) }
}

/**
 * Start the sink. With `introspection` it accepts a token only when the IdP says it is active and
 * issued to the mailbox user; without, it accepts any token and says so on the /mails page.
 */
export async function startSmtpSink(options: {
  host: string
  port: number
  introspection?: Introspection
  tls: { key: string; cert: string }
}): Promise<SmtpSink> {
  const mails: SinkMail[] = []
  const attempts: SinkAttempt[] = []
  const record = <T>(list: T[], item: T) => {
    list.unshift(item)
    list.length = Math.min(list.length, KEEP)
  }

  const server = new SMTPServer({
    authMethods: ['XOAUTH2'],
    // STARTTLS on the submission port; AUTH is neither offered nor accepted before it.
    secure: false,
    key: options.tls.key,
    cert: options.tls.cert,
    allowInsecureAuth: false,
    logger: false,
    size: 1024 * 1024,
    onAuth(auth, session, callback) {
      const user = auth.username ?? ''
      const secure = session.secure
      const refuse = (reason: string) => {
        record(attempts, { at: new Date(), user, accepted: false, secure, reason })
        // smtp-server answers a failed XOAUTH2 with this as a 334 challenge, then 535 (as Gmail does).
        callback(null, { data: { status: '401', schemes: 'bearer' } })
      }
      if (!auth.accessToken) return refuse('no token')
      if (!options.introspection) {
        record(attempts, { at: new Date(), user, accepted: true, secure, reason: 'token not checked' })
        return callback(null, { user })
      }
      introspect(options.introspection, auth.accessToken).then(
        (info) => {
          if (!info.active) return refuse('token not active')
          if (info.sub !== user) return refuse('token belongs to another user')
          record(attempts, { at: new Date(), user, accepted: true, secure })
          callback(null, { user })
        },
        (err: Error) => callback(err),
      )
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const { subject, text } = parseMessage(Buffer.concat(chunks).toString('utf8'))
        record(mails, {
          receivedAt: new Date(),
          user: String(session.user ?? ''),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject,
          text,
        })
        callback()
      })
    },
  })

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  // A client that refuses the certificate ends the handshake; smtp-server reports it as an error event.
  server.on('error', () => {})
  const port = (server.server.address() as AddressInfo).port
  return {
    host: options.host,
    port,
    verifiesTokens: Boolean(options.introspection),
    mails,
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
