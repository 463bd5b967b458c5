/**
 * Opening the store from the CLI's configuration: `--database` or AUTHDOCK_DATABASE, and the keys
 * from AUTHDOCK_KEY (comma-separated, newest first). The key is read from the environment only:
 * a flag would show it in `ps` and in the shell history.
 */
import { existsSync } from 'node:fs'
import { openStore } from '../store/index.js'
import type { Store } from '../store/types.js'
import { AuthdockError } from '../errors.js'
import { UsageError } from './exit-codes.js'
import type { CliIo } from './io.js'

/** Help lines shared by every command that opens the store. */
export const STORE_HELP = `Configuration:
  -d, --database URL   sqlite:PATH or postgres://… (env AUTHDOCK_DATABASE)
  AUTHDOCK_KEY         encryption key(s), 32 bytes base64, comma-separated, newest first
                       (environment only, so the key never appears in a process list)`

export const DATABASE_OPTION = { database: { type: 'string', short: 'd' } } as const

export function databaseUrl(flag: string | undefined, io: CliIo): string {
  const url = flag ?? io.env.AUTHDOCK_DATABASE
  if (!url)
    throw new UsageError('No database: pass --database URL or set AUTHDOCK_DATABASE (sqlite:PATH or postgres://…)')
  if (!url.startsWith('sqlite:') && !/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError('The database must be sqlite:PATH or a postgres:// URL')
  }
  return url
}

export function encryptionKeys(io: CliIo, required: boolean): string[] {
  const keys = (io.env.AUTHDOCK_KEY ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
  if (required && !keys.length)
    throw new UsageError('No encryption key: set AUTHDOCK_KEY (comma-separated, newest first)')
  for (const [i, k] of keys.entries()) {
    if (Buffer.from(k, 'base64').length !== 32)
      throw new UsageError(`AUTHDOCK_KEY: key ${i + 1} is not 32 bytes, base64 encoded`)
  }
  return keys
}

/**
 * Open the store. An SQLite file must already exist unless `create` is set (only `migrate` creates
 * one): a mistyped path should not leave an empty database behind.
 */
export async function openCliStore(options: { database?: string; io: CliIo; create?: boolean }): Promise<Store> {
  const url = databaseUrl(options.database, options.io)
  const keys = encryptionKeys(options.io, true)
  if (url.startsWith('sqlite:') && !options.create) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:' && !existsSync(file)) {
      throw new AuthdockError(
        'STORE_UNAVAILABLE',
        `The database file ${file} does not exist (run \`authdock migrate\` to create it)`,
      )
    }
  }
  return openStore(url, { encryptionKeys: keys, now: options.io.now })
}
