/**
 * Optional peer dependencies (pg, connect-redis) are loaded only when an option needs them, so a
 * host that uses neither (SQLite, sessions in the store) installs neither and still loads authdock.
 */
import { AuthdockError } from './errors.js'

/**
 * Import an optional peer dependency. When the package itself is not installed this throws
 * `CONFIG_INVALID` naming the option that needs it and the package to install; any other failure
 * (a broken install, a missing dependency of the package) passes through unchanged.
 */
export async function importOptionalPeer<T>(name: string, option: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    const message = err instanceof Error ? err.message : ''
    // Node names the package it could not find in quotes; another package's absence is not ours to explain.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${name}'`)) {
      throw new AuthdockError(
        'CONFIG_INVALID',
        `${option} needs the package "${name}", which is not installed: install it (npm install ${name})`,
        {
          cause: err,
          details: { option, package: name },
        },
      )
    }
    throw err
  }
}
