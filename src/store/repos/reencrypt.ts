/** Key rotation: rewrite every secret not yet under the newest key, in one transaction. */
import type { Keyring } from '../crypto.js'
import type { Db } from '../db.js'
import { ENCRYPTED_COLUMNS, secretContext } from '../secrets.js'

export async function reencryptAll(db: Db, keys: Keyring): Promise<number> {
  return db.transaction(async (tx) => {
    let count = 0
    for (const { table, key, column } of ENCRYPTED_COLUMNS) {
      const rows = await tx.all(`SELECT ${key} AS k, ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`)
      for (const row of rows) {
        const stored = String(row.v)
        if (!keys.needsReencryption(stored)) continue
        const context = secretContext(table, column, String(row.k))
        const fresh = keys.encrypt(keys.decrypt(stored, context), context)
        count += await tx.run(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`, [fresh, row.k])
      }
    }
    return count
  })
}
