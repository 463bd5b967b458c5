/**
 * The Store contract suite: every adapter runs these same tests (see sqlite.test.ts and
 * postgres.test.ts), so the services can rely on one behaviour whatever the database.
 */
import type { StoreHarness } from './contract-helpers.js'
import { keyContract } from './contract-keys.js'
import { lockContract } from './contract-lock.js'
import { loginProviderContract } from './contract-login-providers.js'
import { profileContract } from './contract-profiles.js'
import { recordContract } from './contract-records.js'
import { scaleContract } from './contract-scale.js'
import { tokenContract } from './contract-tokens.js'
import { credentialsContract } from './contract-credentials.js'

export type { StoreHarness } from './contract-helpers.js'

export function storeContract(h: StoreHarness): void {
  profileContract(h)
  tokenContract(h)
  lockContract(h)
  recordContract(h)
  keyContract(h)
  loginProviderContract(h)
  credentialsContract(h)
  scaleContract(h)
}
