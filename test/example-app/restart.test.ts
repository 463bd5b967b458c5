/**
 * A second `npm start` on the same data folder: the generated secrets (the dev login client's
 * secret too) are reused (no new warning),
 * and the seeded "Dev mailbox" follows the new dev identity provider (new port, new client secret,
 * tokens forgotten) instead of being seeded twice.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startExampleApp } from '../../example-app/app.js'

describe('example app restarted on the same data folder', () => {
  let dir = ''
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('reuses the generated secrets and moves "Dev mailbox" and "Demo outbox" to the new dev IdP and sink', async () => {
    dir = await mkdtemp(join(tmpdir(), 'authdock-example-restart-'))
    const env = { PORT: '0', AUTHDOCK_DATABASE: `sqlite:${join(dir, 'authdock.db')}` }
    const firstLog: string[] = []
    const first = await startExampleApp(env, { log: (l) => firstLog.push(l) })
    const before = (await first.dock.store.profiles.getByName('Dev mailbox'))!
    await first.dock.store.tokens.save(before.id, { accessToken: 'old-token', status: 'ok' })
    const devSecret = await readFile(join(dir, 'dev-client.secret'), 'utf8')
    await first.close()

    const secondLog: string[] = []
    const second = await startExampleApp(env, { log: (l) => secondLog.push(l) })
    try {
      expect(firstLog.filter((l) => l.startsWith('WARNING:'))).toHaveLength(2)
      expect(secondLog.filter((l) => l.startsWith('WARNING:'))).toHaveLength(0)
      expect(await readFile(join(dir, 'dev-client.secret'), 'utf8')).toBe(devSecret)
      const profiles = await second.dock.store.profiles.list()
      expect(profiles.map((p) => p.name)).toEqual(['Dev mailbox'])
      expect(profiles[0].tokenUrl).toBe(`${second.idpUrl}/token`)
      // The earlier key still decrypts the stored secret, and the dev IdP forgot the old tokens.
      expect(await second.dock.store.profiles.getClientSecret(profiles[0].id)).toBeTruthy()
      expect((await second.dock.store.tokens.get(profiles[0].id))?.accessToken ?? null).toBeNull()
      const accounts = JSON.parse(await readFile(join(dir, 'mail-accounts.json'), 'utf8')) as Array<{ name: string; port: number; profileId: string }>
      expect(accounts).toMatchObject([{ name: 'Demo outbox', port: second.sink.port, profileId: profiles[0].id }])
    } finally {
      await second.close()
    }
  })
})
