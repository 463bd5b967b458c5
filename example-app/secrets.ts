/**
 * AUTHDOCK_KEY and SESSION_SECRET for a newcomer who set neither: generated once into the data
 * folder (mode 0600) with a warning, and read from there on later starts. Production sets both.
 * The dev identity provider's login client secret is kept there the same way (no warning: it only
 * exists for the embedded provider), so no two installations share a known secret.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface GeneratedSecret {
  value: string
  /** Set when the value came from (or was just written to) a file, for the console message. */
  file?: string
  generated: boolean
}

async function fromFile(dataDir: string, name: string, make: () => string): Promise<GeneratedSecret> {
  const file = join(dataDir, name)
  try {
    return { value: (await readFile(file, 'utf8')).trim(), file, generated: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dataDir, { recursive: true })
  const value = make()
  // 'wx': two processes starting at once must not overwrite each other's key.
  try {
    await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fromFile(dataDir, name, make)
    throw err
  }
  return { value, file, generated: true }
}

/** The encryption key (32 bytes, base64): from AUTHDOCK_KEY, else data/authdock.key. */
export function encryptionKey(envValue: string | undefined, dataDir: string): Promise<GeneratedSecret> {
  if (envValue) return Promise.resolve({ value: envValue, generated: false })
  return fromFile(dataDir, 'authdock.key', () => randomBytes(32).toString('base64'))
}

/** The session cookie secret: from SESSION_SECRET, else data/session.secret. */
export function sessionSecret(envValue: string | undefined, dataDir: string): Promise<GeneratedSecret> {
  if (envValue) return Promise.resolve({ value: envValue, generated: false })
  return fromFile(dataDir, 'session.secret', () => randomBytes(32).toString('base64url'))
}

/** The login client secret at the embedded dev identity provider: data/dev-client.secret. */
export function devClientSecret(dataDir: string): Promise<GeneratedSecret> {
  return fromFile(dataDir, 'dev-client.secret', () => randomBytes(32).toString('base64url'))
}
