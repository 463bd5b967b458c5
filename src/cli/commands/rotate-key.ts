/** `authdock rotate-key`: re-encrypt every stored secret under the newest key. */
import { EXIT } from '../exit-codes.js'
import { commandHelp, storeCommand } from '../command.js'

const help = commandHelp({
  about: `Usage: authdock rotate-key

Re-encrypts every stored secret (client secrets, access and refresh tokens) under the newest key.
Put the new key first in AUTHDOCK_KEY and keep the old ones after it:
  AUTHDOCK_KEY="NEW_KEY,OLD_KEY" authdock rotate-key -d sqlite:./data/authdock.db
Afterwards the old keys can be removed from the configuration of every instance. The rotation is
written to the audit trail (\`key.rotated\`, actor \`cli\`).`,
  exitCodes: '0 done, 64 usage, 65 a value that no given key decrypts, 69 database unavailable',
})

export const rotateKeyCommand = storeCommand({
  name: 'rotate-key',
  summary: 're-encrypt every stored secret under the newest key',
  help,
  async run(store, { io }) {
    const count = await store.reencryptAll()
    // The store redacts audit details on the way in, here as for every other writer.
    await store.audit.add({ kind: 'key.rotated', actor: 'cli', details: { reencrypted: count } })
    io.out(`Re-encrypted ${count} value(s) under the newest key.`)
    return EXIT.OK
  },
})
