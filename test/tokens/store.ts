/** The store of a token test: a fresh SQLite file by default, or the given database URL. */
import { openStore } from '../../src/store/index.js'
import type { Store } from '../../src/store/types.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'

export async function openTestStore(
  now: () => number,
  database = sqliteUrl(),
): Promise<{ store: Store; database: string; encryptionKey: string; close(): Promise<void> }> {
  const store = await openStore(database, { encryptionKeys: TEST_KEYS, now })
  return { store, database, encryptionKey: TEST_KEYS[0], close: () => store.close() }
}
