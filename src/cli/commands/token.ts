/** `authdock token <profile>`: the stored token state of a profile; the token itself only with --show. */
import { parseArgs } from 'node:util'
import { AuthdockError } from '../../errors.js'
import type { Store, Profile } from '../../store/types.js'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from '../store.js'
import { UsageError } from '../exit-codes.js'
import type { CliIo, Command } from '../io.js'

const help = `Usage: authdock token <profile> [options]

Shows the stored access token's expiry, its scopes and the profile's token status. <profile> is the
profile's id or name. Nothing is refreshed.

Options:
  --show               also print the access token (it grants access to the mailbox: handle with care)
  --json               print as JSON
  -h, --help           this text
${STORE_HELP}

Exit codes: 0 shown, 64 usage, 65 unknown profile or a key that does not decrypt, 69 database unavailable.`

async function findProfile(store: Store, idOrName: string): Promise<Profile> {
  const profile = (await store.profiles.get(idOrName).catch(() => null)) ?? (await store.profiles.getByName(idOrName))
  if (!profile) throw new AuthdockError('PROFILE_NOT_FOUND', `No profile with the id or name "${idOrName}"`)
  return profile
}

function inWords(ms: number): string {
  const abs = Math.abs(ms)
  const text =
    abs >= 86_400_000
      ? `${Math.floor(abs / 86_400_000)} d`
      : abs >= 3_600_000
        ? `${Math.floor(abs / 3_600_000)} h`
        : `${Math.floor(abs / 60_000)} min`
  return ms >= 0 ? `in ${text}` : `${text} ago`
}

export const tokenCommand: Command = {
  name: 'token',
  summary: "show a profile's token expiry and scopes (the token only with --show)",
  help,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...DATABASE_OPTION,
        show: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) {
      io.out(help)
      return 0
    }
    if (positionals.length !== 1) throw new UsageError('Name exactly one profile: authdock token <profile>')
    const store = await openCliStore({ database: values.database, io })
    try {
      const profile = await findProfile(store, positionals[0])
      const summary = await store.tokens.summary(profile.id)
      // Only --show reads (and decrypts) the token itself.
      const accessToken = values.show ? ((await store.tokens.get(profile.id))?.accessToken ?? null) : undefined
      const expiresAt = summary?.accessTokenExpiresAt ?? null
      const info = {
        profile: { id: profile.id, name: profile.name },
        status: summary?.status ?? 'none',
        hasAccessToken: summary?.hasAccessToken ?? false,
        accessTokenExpiresAt: expiresAt?.toISOString() ?? null,
        scope: summary?.scope ?? null,
        hasRefreshToken: summary?.hasRefreshToken ?? false,
        lastErrorCode: summary?.lastErrorCode ?? null,
        ...(values.show ? { accessToken } : {}),
      }
      if (values.json) {
        io.out(JSON.stringify(info, null, 2))
        return 0
      }
      io.out(`profile:        ${profile.name} (${profile.id})`)
      io.out(`status:         ${info.status}`)
      io.out(
        `access token:   ${info.hasAccessToken ? 'present' : 'none'}${expiresAt ? `, expires ${expiresAt.toISOString()} (${inWords(expiresAt.getTime() - io.now())})` : ''}`,
      )
      io.out(`scope:          ${info.scope ?? '-'}`)
      io.out(`refresh token:  ${info.hasRefreshToken ? 'present' : 'none'}`)
      if (info.lastErrorCode) io.out(`last error:     ${info.lastErrorCode}`)
      if (values.show) io.out(`\n${accessToken ?? '(no access token stored)'}`)
      return 0
    } finally {
      await store.close()
    }
  },
}
