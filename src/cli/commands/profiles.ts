/** `authdock profiles list` and `authdock profiles export --csv`. Never prints a secret. */
import { profilesCsv } from '../../profiles/csv.js'
import { EXIT, UsageError } from '../exit-codes.js'
import { commandHelp, storeCommand } from '../command.js'
import { day, printList } from '../format.js'
import type { Profile } from '../../store/types.js'

const help = commandHelp({
  about: `Usage: authdock profiles list [--json]
       authdock profiles export --csv

list     the OAuth2 profiles with their token status and secret expiry
export   all profiles as CSV (the same columns as the admin's export; no secrets)`,
  options: `  --json               (list) print as JSON
  --csv                (export) CSV, the only export format`,
})

export const profilesCommand = storeCommand({
  name: 'profiles',
  summary: 'list or export the OAuth2 profiles',
  help,
  options: { json: { type: 'boolean' }, csv: { type: 'boolean' } },
  takesArguments: true,
  prepare({ values, positionals: [action, ...rest] }) {
    if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}"`)
    if (action !== 'list' && action !== 'export')
      throw new UsageError(
        action
          ? `Unknown action "profiles ${action}": use list or export`
          : 'Say what to do: profiles list | profiles export --csv',
      )
    if (action === 'export' && !values.csv) throw new UsageError('profiles export needs --csv (the only format)')
    if (action === 'list' && values.csv) throw new UsageError('--csv belongs to profiles export')
    return action
  },
  async run(store, { values, io }, action) {
    const [profiles, summaries] = await Promise.all([store.profiles.list(), store.tokens.summaries()])
    const byId = new Map(summaries.map((s) => [s.profileId, s]))
    if (action === 'export') {
      io.out(
        profilesCsv(profiles.map((profile) => ({ profile, token: byId.get(profile.id) ?? null }))).replace(/\r\n$/, ''),
      )
    } else {
      const tokenStatus = (p: Profile) => byId.get(p.id)?.status ?? 'none'
      printList(io, {
        items: profiles,
        json: values.json,
        asJson: (items) => items.map((p) => ({ ...p, tokenStatus: tokenStatus(p) })),
        empty: 'No profiles.',
        columns: [
          ['ID', (p) => p.id],
          ['NAME', (p) => p.name],
          ['GRANT', (p) => p.grantType],
          ['VALID', (p) => (p.valid ? 'yes' : 'no')],
          ['TOKEN', tokenStatus],
          ['SECRET EXPIRES', (p) => day(p.secretExpiresAt) || '-'],
        ],
      })
    }
    return EXIT.OK
  },
})
