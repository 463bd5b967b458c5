/**
 * How an instance keeps its admin-managed providers current: one version read per
 * `loginProviders.refreshMs`, a reload only when the version moved, unchanged providers keep their
 * object (and so their discovery and strategy), a change made on this instance during a read is not
 * lost, and a store that fails leaves the last list (logged once).
 */
import { randomBytes } from 'node:crypto'
import { Passport } from 'passport'
import { describe, expect, it } from 'vitest'
import { resolveConfig, type ProviderConfig } from '../../src/config.js'
import type { DockContext } from '../../src/context.js'
import { Providers, type ProviderSource } from '../../src/login/providers.js'
import { fixedClock, RecordingLogger } from '../ops/helpers.js'
import { TEST_KEYS } from '../fixtures/databases.js'

function provider(id: string, clientId = 'app'): ProviderConfig {
  return {
    ...resolveConfig({ ...base(), oidc: { issuer: 'https://idp.example.com', clientId } }).oidc[0],
    id,
    label: id,
  }
}

function base() {
  return {
    baseUrl: 'https://app.example.com',
    encryptionKey: TEST_KEYS,
    session: { secret: randomBytes(24).toString('hex') },
    users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
  }
}

/** A source whose answers the test sets, counting the reads. */
function source() {
  const state = {
    version: 1,
    list: [] as Array<{ config: ProviderConfig; version: number }>,
    fail: false,
    versionReads: 0,
    loads: 0,
    gate: null as Promise<void> | null,
  }
  const src: ProviderSource = {
    async version() {
      state.versionReads++
      if (state.gate) await state.gate
      if (state.fail) throw new Error('store down')
      return state.version
    },
    async load() {
      state.loads++
      return state.list
    },
  }
  return { state, src }
}

function setup(refreshMs = 2000) {
  const clock = fixedClock()
  const logger = new RecordingLogger()
  const config = resolveConfig({ ...base(), loginProviders: { refreshMs }, now: clock.now, logger })
  const ctx = { config, now: clock.now, logger } as unknown as DockContext
  const { state, src } = source()
  const providers = new Providers(ctx, new Passport(), () => () => undefined, src)
  return { clock, logger, state, providers }
}

describe('admin-managed providers on one instance', () => {
  it('reads the version at most once per refreshMs and reloads only when it moved', async () => {
    const { clock, state, providers } = setup()
    state.list = [{ config: provider('p.aaaaaaaaaaaa'), version: 1 }]
    await providers.sync()
    await providers.sync()
    expect(state).toMatchObject({ versionReads: 1, loads: 1 })
    expect(providers.all.map((p) => p.id)).toEqual(['p.aaaaaaaaaaaa'])
    clock.advance(1999)
    await providers.sync()
    expect(state.versionReads).toBe(1)
    clock.advance(1)
    await providers.sync()
    expect(state).toMatchObject({ versionReads: 2, loads: 1 })
  })

  it('keeps an unchanged provider as the same object and replaces a changed one', async () => {
    const { clock, state, providers } = setup()
    state.list = [
      { config: provider('p.aaaaaaaaaaaa'), version: 1 },
      { config: provider('p.bbbbbbbbbbbb'), version: 1 },
    ]
    await providers.sync()
    const [a, b] = providers.all
    state.version = 2
    state.list = [
      { config: provider('p.aaaaaaaaaaaa'), version: 1 },
      { config: provider('p.bbbbbbbbbbbb', 'new-client'), version: 2 },
    ]
    clock.advance(2000)
    await providers.sync()
    expect(providers.find('p.aaaaaaaaaaaa')).toBe(a)
    expect(providers.find('p.bbbbbbbbbbbb')).not.toBe(b)
    expect(providers.find('p.bbbbbbbbbbbb')?.clientId).toBe('new-client')
    expect(providers.callbackPath('p.bbbbbbbbbbbb')).toBe('/callback/p.bbbbbbbbbbbb')
  })

  it('reads again after a local change made while a read was under way', async () => {
    const { state, providers } = setup()
    let open!: () => void
    state.gate = new Promise((resolve) => (open = resolve))
    const first = providers.sync()
    // The admin saves on this instance while the read above waits for the store.
    state.version = 2
    state.list = [{ config: provider('p.cccccccccccc'), version: 1 }]
    providers.invalidate()
    const second = providers.sync()
    state.gate = null
    open()
    await Promise.all([first, second])
    expect(state.versionReads).toBe(2)
    expect(providers.all.map((p) => p.id)).toEqual(['p.cccccccccccc'])
  })

  it('keeps the last list when the store fails, and logs each failure once', async () => {
    const { clock, state, logger, providers } = setup()
    state.list = [{ config: provider('p.dddddddddddd'), version: 1 }]
    await providers.sync()
    state.fail = true
    for (let i = 0; i < 3; i++) {
      clock.advance(2000)
      await providers.sync()
    }
    expect(providers.all.map((p) => p.id)).toEqual(['p.dddddddddddd'])
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1)
  })
})
