/** `authdock rotate-key`: re-encrypt every stored secret under the newest key. */
import { parseArgs } from 'node:util'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from '../store.js'
import { UsageError } from '../exit-codes.js'
import type { CliIo, Command } from '../io.js'

const help = `Usage: authdock rotate-key

Re-encrypts every stored secret (client secrets, access and refresh tokens) under the newest key.
Put the new key first in AUTHDOCK_KEY and keep the old ones after it:
  AUTHDOCK_KEY="NEW_KEY,OLD_KEY" authdock rotate-key -d sqlite:./data/authdock.db
Afterwards the old keys can be removed from the configuration of every instance. The rotation is
written to the audit trail (\`key.rotated\`, actor \`cli\`).

Options:
  -h, --help           this text
${STORE_HELP}

Exit codes: 0 done, 64 usage, 65 a value that no given key decrypts, 69 database unavailable.`

export const rotateKeyCommand: Command = {
  name: 'rotate-key',
  summary: 're-encrypt every stored secret under the newest key',
  help,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: { ...DATABASE_OPTION, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) {
      io.out(help)
      return 0
    }
    if (positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}"`)
    const store = await openCliStore({ database: values.database, io })
    try {
      const count = await store.reencryptAll()
      // The store redacts audit details on the way in, here as for every other writer.
      await store.audit.add({ kind: 'key.rotated', actor: 'cli', details: { reencrypted: count } })
      io.out(`Re-encrypted ${count} value(s) under the newest key.`)
      return 0
    } finally {
      await store.close()
    }
  },
}
