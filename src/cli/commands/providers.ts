/** `authdock providers list`: the login providers managed in the admin. Never prints a secret. */
import { parseArgs } from 'node:util'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from '../store.js'
import { UsageError } from '../exit-codes.js'
import type { CliIo, Command } from '../io.js'

const help = `Usage: authdock providers list [--json]

list     the login providers managed in the admin: id, name, active, issuer, client id, whether a
         client secret is stored and when it expires. Providers of the createAuthdock option
         \`oidc\` live in the host's configuration, not in the database, and are not listed.

Options:
  --json               print as JSON
  -h, --help           this text
${STORE_HELP}

Exit codes: 0 done, 64 usage, 69 database unavailable.`

const day = (d: Date | null): string => (d ? d.toISOString().slice(0, 10) : '')

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  )
}

export const providersCommand: Command = {
  name: 'providers',
  summary: 'list the login providers managed in the admin',
  help,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: { ...DATABASE_OPTION, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) {
      io.out(help)
      return 0
    }
    const [action, ...rest] = positionals
    if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}"`)
    if (action !== 'list')
      throw new UsageError(action ? `Unknown action "providers ${action}": use list` : 'Say what to do: providers list')
    const store = await openCliStore({ database: values.database, io })
    try {
      const providers = await store.loginProviders.list()
      if (values.json) {
        io.out(JSON.stringify(providers, null, 2))
      } else if (!providers.length) {
        io.out('No login providers are managed in the admin.')
      } else {
        const rows = providers.map((p) => [
          p.id,
          p.label,
          p.active ? 'yes' : 'no',
          p.issuer,
          p.clientId,
          p.hasClientSecret ? 'yes' : 'no',
          day(p.secretExpiresAt) || '-',
        ])
        for (const line of table([
          ['ID', 'NAME', 'ACTIVE', 'ISSUER', 'CLIENT ID', 'SECRET', 'SECRET EXPIRES'],
          ...rows,
        ]))
          io.out(line)
      }
      return 0
    } finally {
      await store.close()
    }
  },
}
