import { describe } from 'vitest'
import { sqliteUrl } from '../fixtures/databases.js'
import { storeContract } from './contract.js'

describe('Store contract: SQLite', () => {
  storeContract({
    kind: 'sqlite',
    newDatabase: async () => sqliteUrl(),
    // A dead holder's lease runs out after timeoutMs on the shared clock.
    killLockHolder: async (_url, clock, timeoutMs) => clock.advance(timeoutMs),
    // The lease was taken over: the late holder must not write.
    deadHolderError: 'LOCK_TIMEOUT',
  })
})
