/** `authdock migrate`: create or update the database schema. */
import { parseArgs } from 'node:util'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from '../store.js'
import { UsageError } from '../exit-codes.js'
import type { CliIo, Command } from '../io.js'

const help = `Usage: authdock migrate

Creates the tables (an SQLite file is created when missing) or brings them up to date. Safe to run
again and from several instances at once. createAuthdock does the same at start; this command lets a
deployment do it first.

Options:
  -h, --help           this text
${STORE_HELP}

Exit codes: 0 done, 64 usage, 69 database unavailable.`

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or update the database schema',
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
    // Opening the store runs the migrations.
    const store = await openCliStore({ database: values.database, io, create: true })
    try {
      await store.ping()
      io.out(`The ${store.kind} database schema is up to date.`)
      return 0
    } finally {
      await store.close()
    }
  },
}
