/**
 * The server under load for load.test.ts, in its own process (started with --expose-gc): the test
 * app (authdock, GET /me behind dock.requireLogin) with sessions in the shared Redis under the key
 * prefix given as argv[2]. IPC: it sends `{ ready: url }`; 'memory' answers `{ memory }` after a
 * full garbage collection; 'stop' closes the app, removes its Redis keys and exits.
 */
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { startTestApp } from '../fixtures/test-app.js'

const prefix = process.argv[2]
if (!prefix || typeof global.gc !== 'function')
  throw new Error('usage: node --expose-gc --import tsx load-server.ts <redis key prefix>')
const gc = global.gc

const client = createClient({ url: process.argv[3] ?? 'redis://127.0.0.1:6379' })
client.on('error', (err: Error) => console.error(`load-server redis: ${err.message}`))
await client.connect()
const app = await startTestApp({
  options: { session: { secret: randomBytes(24).toString('hex'), redis: client, redisPrefix: prefix } },
})

process.on('message', (message) => {
  if (message === 'memory') {
    // Twice: the first pass may leave garbage that finalizers release for the second.
    gc()
    gc()
    process.send!({ memory: process.memoryUsage() })
  } else if (message === 'stop') {
    void (async () => {
      await app.close()
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        if (keys.length) await client.del(keys)
      await client.quit()
      process.exit(0)
    })()
  }
})
process.send!({ ready: app.url })
