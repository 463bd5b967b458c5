/** `authdock profiles list` and `authdock profiles export --csv`. Never prints a secret. */
import { parseArgs } from 'node:util'
import { profilesCsv } from '../../profiles/csv.js'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from '../store.js'
import { UsageError } from '../exit-codes.js'
import type { CliIo, Command } from '../io.js'

const help = `Usage: authdock profiles list [--json]
       authdock profiles export --csv

list     the OAuth2 profiles with their token status and secret expiry
export   all profiles as CSV (the same columns as the admin's export; no secrets)

Options:
  --json               (list) print as JSON
  --csv                (export) CSV, the only export format
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

export const profilesCommand: Command = {
  name: 'profiles',
  summary: 'list or export the OAuth2 profiles',
  help,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...DATABASE_OPTION,
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) {
      io.out(help)
      return 0
    }
    const [action, ...rest] = positionals
    if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}"`)
    if (action !== 'list' && action !== 'export')
      throw new UsageError(
        action
          ? `Unknown action "profiles ${action}": use list or export`
          : 'Say what to do: profiles list | profiles export --csv',
      )
    if (action === 'export' && !values.csv) throw new UsageError('profiles export needs --csv (the only format)')
    if (action === 'list' && values.csv) throw new UsageError('--csv belongs to profiles export')

    const store = await openCliStore({ database: values.database, io })
    try {
      const [profiles, summaries] = await Promise.all([store.profiles.list(), store.tokens.summaries()])
      const byId = new Map(summaries.map((s) => [s.profileId, s]))
      if (action === 'export') {
        io.out(
          profilesCsv(profiles.map((profile) => ({ profile, token: byId.get(profile.id) ?? null }))).replace(
            /\r\n$/,
            '',
          ),
        )
      } else if (values.json) {
        io.out(
          JSON.stringify(
            profiles.map((p) => ({ ...p, tokenStatus: byId.get(p.id)?.status ?? 'none' })),
            null,
            2,
          ),
        )
      } else if (!profiles.length) {
        io.out('No profiles.')
      } else {
        const rows = profiles.map((p) => [
          p.id,
          p.name,
          p.grantType,
          p.valid ? 'yes' : 'no',
          byId.get(p.id)?.status ?? 'none',
          day(p.secretExpiresAt) || '-',
        ])
        for (const line of table([['ID', 'NAME', 'GRANT', 'VALID', 'TOKEN', 'SECRET EXPIRES'], ...rows])) io.out(line)
      }
      return 0
    } finally {
      await store.close()
    }
  },
}
