/**
 * A child process for the multi-process tests: opens the shared database, and on 'go' fires a
 * burst of getAccessToken calls, then reports the tokens it got (as hashes) and error codes.
 * With HANG=1 its token requests never return (a process stuck mid-refresh, holding the lock);
 * it says 'hanging' once its request is under way so the parent can kill -9 it.
 */
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { resolveConfig } from '../../src/config.js'
import type { DockContext } from '../../src/context.js'
import { openStore } from '../../src/store/index.js'
import { createTokenProvider } from '../../src/tokens/index.js'

interface WorkerArgs {
  database: string
  encryptionKey: string
  profileId: string
  burst: number
  hang: boolean
  lockTimeoutMs: number
}

const args = JSON.parse(process.env.AUTHDOCK_WORKER ?? '{}') as WorkerArgs
const send = (message: unknown) => process.send?.(message)

const hangingFetch: typeof fetch = () => {
  send({ type: 'hanging' })
  return new Promise<Response>(() => {}) // never settles, ignores the timeout signal
}

const config = resolveConfig({
  baseUrl: 'http://127.0.0.1:3000',
  database: args.database,
  encryptionKey: args.encryptionKey,
  session: { secret: 'test-session-secret-0123456789' },
  users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
  // The hanging fetch ignores the timeout signal, so a stuck refresh holds its lock until killed
  // whatever the timeout; the timeout only has to stay below the lock timeout (a config rule).
  tokens: { lockTimeoutMs: args.lockTimeoutMs, httpTimeoutMs: Math.min(5_000, args.lockTimeoutMs - 500) },
})
const store = await openStore(config.database, { encryptionKeys: config.encryptionKey, now: Date.now })
const ctx: DockContext = {
  config,
  store,
  now: Date.now,
  fetch: args.hang ? hangingFetch : globalThis.fetch,
  logger: config.logger,
  events: new EventEmitter(),
  views: undefined as never,
}
const tokens = createTokenProvider(ctx)

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
    await store.close()
    process.disconnect()
  })
})
send({ type: 'ready' })
