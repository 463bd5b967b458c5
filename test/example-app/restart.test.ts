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
import { storeOf } from '../../src/internal.js'

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
    const before = (await storeOf(first.dock).profiles.getByName('Dev mailbox'))!
    await storeOf(first.dock).tokens.save(before.id, { accessToken: 'old-token', status: 'ok' })
    const devSecret = await readFile(join(dir, 'dev-client.secret'), 'utf8')
    await first.close()

    const secondLog: string[] = []
    const second = await startExampleApp(env, { log: (l) => secondLog.push(l) })
    try {
      expect(firstLog.filter((l) => l.startsWith('WARNING:'))).toHaveLength(2)
      expect(secondLog.filter((l) => l.startsWith('WARNING:'))).toHaveLength(0)
      expect(await readFile(join(dir, 'dev-client.secret'), 'utf8')).toBe(devSecret)
      const profiles = await storeOf(second.dock).profiles.list()
      expect(profiles.map((p) => p.name)).toEqual(['Dev mailbox'])
      expect(profiles[0].tokenUrl).toBe(`${second.idpUrl}/token`)
      // The earlier key still decrypts the stored secret, and the dev IdP forgot the old tokens.
      expect(await storeOf(second.dock).profiles.getClientSecret(profiles[0].id)).toBeTruthy()
      expect((await storeOf(second.dock).tokens.get(profiles[0].id))?.accessToken ?? null).toBeNull()
      // The restart's changes went through dock.profiles: audited like an admin's.
      const [updated] = await storeOf(second.dock).audit.list({ kind: 'profile.updated', profileId: profiles[0].id })
      expect(updated).toMatchObject({ actor: 'example seed' })
      // The tokens went with the new token URL, or were cleared explicitly when it stayed the same.
      const cleared = await storeOf(second.dock).audit.list({
        kind: 'profile.tokens_cleared',
        profileId: profiles[0].id,
      })
      expect(updated.details.tokensCleared === true || cleared[0]?.actor === 'example seed').toBe(true)
      const accounts = JSON.parse(await readFile(join(dir, 'mail-accounts.json'), 'utf8')) as Array<{
        name: string
        port: number
        profileId: string
      }>
      expect(accounts).toMatchObject([{ name: 'Demo outbox', port: second.sink.port, profileId: profiles[0].id }])
    } finally {
      await second.close()
    }
  })
})
