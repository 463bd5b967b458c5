/**
 * A mail worker process as a host runs it beside its web process: it imports only the token entry
 * (`authdock/tokens`) and opens it with the database URL and the key, nothing else. It says 'ready'
 * with the packages it has loaded (so the parent can check that no web framework came along), fires
 * its burst of getAccessToken calls on 'go', and reports token hashes and error codes.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { openTokenProvider } from '../../src/tokens-entry.js'

interface WorkerArgs {
  database: string
  encryptionKey: string
  profileId: string
  burst: number
}

const args = JSON.parse(process.env.AUTHDOCK_WORKER ?? '{}') as WorkerArgs
const send = (message: unknown) => process.send?.(message)

const tokens = await openTokenProvider({ database: args.database, encryptionKey: args.encryptionKey })

/** Package names in the CommonJS cache (express, passport and ejs are CommonJS). */
function loadedPackages(): string[] {
  const names = Object.keys(createRequire(import.meta.url).cache).map(
    (file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1],
  )
  return [...new Set(names.filter((n): n is string => n !== undefined))]
}

process.on('message', (message: { type: string }) => {
  if (message.type !== 'go') return
  void Promise.all(
    Array.from({ length: args.burst }, () =>
      tokens.getAccessToken(args.profileId).then(
        (token) => ({ ok: true, hash: createHash('sha256').update(token).digest('hex').slice(0, 16) }),
        (err: { code?: string }) => ({ ok: false, code: err.code ?? 'UNKNOWN' }),
      ),
    ),
  ).then(async (results) => {
    send({ type: 'done', results })
    await tokens.close()
    process.disconnect()
  })
})
send({ type: 'ready', packages: loadedPackages() })
