/** `authdock migrate`: create or update the database schema. */
import { EXIT } from '../exit-codes.js'
import { commandHelp, storeCommand } from '../command.js'

const help = commandHelp({
  about: `Usage: authdock migrate

Creates the tables (an SQLite file is created when missing) or brings them up to date. Safe to run
again and from several instances at once. createAuthdock does the same at start; this command lets a
deployment do it first.`,
})

export const migrateCommand = storeCommand({
  name: 'migrate',
  summary: 'create or update the database schema',
  help,
  // Opening the store runs the migrations.
  create: true,
  async run(store, { io }) {
    await store.ping()
    io.out(`The ${store.kind} database schema is up to date.`)
    return EXIT.OK
  },
})
