/** `authdock token <profile>`: the stored token state of a profile; the token itself only with --show. */
import { AuthdockError } from '../../errors.js'
import type { Store, Profile } from '../../store/types.js'
import { EXIT, UsageError } from '../exit-codes.js'
import { commandHelp, storeCommand } from '../command.js'
import { printJson } from '../format.js'

const help = commandHelp({
  about: `Usage: authdock token <profile> [options]

Shows the stored access token's expiry, its scopes and the profile's token status. <profile> is the
profile's id or name. Nothing is refreshed.`,
  options: `  --show               also print the access token (it grants access to the mailbox: handle with care)
  --json               print as JSON`,
  exitCodes: '0 shown, 64 usage, 65 unknown profile or a key that does not decrypt, 69 database unavailable',
})

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

export const tokenCommand = storeCommand({
  name: 'token',
  summary: "show a profile's token expiry and scopes (the token only with --show)",
  help,
  options: { show: { type: 'boolean' }, json: { type: 'boolean' } },
  takesArguments: true,
  prepare({ positionals }) {
    if (positionals.length !== 1) throw new UsageError('Name exactly one profile: authdock token <profile>')
    return positionals[0]
  },
  async run(store, { values, io }, idOrName) {
    const profile = await findProfile(store, idOrName)
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
      printJson(io, info)
      return EXIT.OK
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
    return EXIT.OK
  },
})
