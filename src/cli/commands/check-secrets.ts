/** `authdock check-secrets`: the secret-expiry check for cron and monitoring (exit 0/1/2). */
import { parseArgs } from 'node:util'
import {
  evaluateSecrets,
  exitCodeFor,
  profileSecrets,
  storedLoginClientSecrets,
  type ExpiringSecret,
  type SecretFinding,
} from '../../ops/secret-expiry.js'
import { certificateSecrets } from '../../credentials/expiry.js'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from '../store.js'
import { UsageError } from '../exit-codes.js'
import type { CliIo, Command } from '../io.js'

const help = `Usage: authdock check-secrets [options]

Checks when the client secrets of the OAuth2 profiles, of the login providers managed in the
admin and (when given) of the login clients in the configuration, and the active certificates of
profiles and login providers expire. Fewer than 90 days left: info; fewer than 30: warning; fewer
than 7 or expired: error.

Options:
  --login-secret-expires [ID=]YYYY-MM-DD
                       expiry of a login provider's client secret (repeatable; ID defaults to
                       "default"); env AUTHDOCK_LOGIN_SECRET_EXPIRES (comma-separated)
  --json               print the findings as JSON
  -h, --help           this text
${STORE_HELP}

Exit codes: 0 fine (nothing or only info), 1 warning, 2 error, 64 usage, 69 database unavailable.`

/** `2027-01-31` or `entra=2027-01-31` → a login-client secret. */
function parseLoginExpiry(value: string): ExpiringSecret {
  const match = /^(?:([a-z0-9][a-z0-9_-]{0,39})=)?(\d{4}-\d{2}-\d{2})$/.exec(value.trim())
  const date = match ? new Date(`${match[2]}T00:00:00Z`) : null
  if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== match[2]) {
    throw new UsageError(`--login-secret-expires: "${value}" is not [ID=]YYYY-MM-DD`)
  }
  const id = match[1] ?? 'default'
  return { kind: 'login-client', id, name: id, expiresAt: date }
}

function describe(f: SecretFinding): string {
  const what = f.kind === 'profile' ? `profile "${f.name}"` : `login client "${f.name}"`
  const when = f.expired
    ? `expired ${-f.daysLeft} day(s) ago`
    : f.daysLeft === 0
      ? 'expires today'
      : `expires in ${f.daysLeft} day(s)`
  const credential = f.certificate ? `certificate ${f.certificate.thumbprint}` : 'client secret'
  return `${f.level.toUpperCase().padEnd(7)} ${what}: ${credential} ${when} (${f.expiresAt.toISOString().slice(0, 10)})`
}

export const checkSecretsCommand: Command = {
  name: 'check-secrets',
  summary: 'check when client secrets expire (exit 0 fine, 1 warning, 2 error)',
  help,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        ...DATABASE_OPTION,
        'login-secret-expires': { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    })
    if (values.help) {
      io.out(help)
      return 0
    }
    const fromEnv = (io.env.AUTHDOCK_LOGIN_SECRET_EXPIRES ?? '').split(',').filter((s) => s.trim())
    const login = [...(values['login-secret-expires'] ?? fromEnv)].map(parseLoginExpiry)
    const store = await openCliStore({ database: values.database, io })
    let findings: SecretFinding[]
    try {
      const profiles = await store.profiles.list()
      const providers = await store.loginProviders.list()
      const names = new Map(profiles.map((p) => [p.id, p.name]))
      const labels = new Map(providers.map((p) => [p.id, p.label]))
      // Without the options, a login provider of the options is named by its id; one of the admin by its label.
      const certificates = certificateSecrets(await store.credentials.listActive(), (c) =>
        c.ownerKind === 'profile' ? (names.get(c.ownerId) ?? null) : (labels.get(c.ownerId) ?? c.ownerId),
      )
      findings = evaluateSecrets(
        [...login, ...storedLoginClientSecrets(providers), ...profileSecrets(profiles), ...certificates],
        io.now(),
      )
    } finally {
      await store.close()
    }
    if (values.json) {
      io.out(JSON.stringify({ findings, exitCode: exitCodeFor(findings) }, null, 2))
    } else if (!findings.length) {
      io.out('OK      no client secret or certificate expires within 90 days')
    } else {
      for (const f of findings) io.out(describe(f))
    }
    return exitCodeFor(findings)
  },
}
