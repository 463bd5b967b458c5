/** `authdock providers list`: the login providers managed in the admin. Never prints a secret. */
import { EXIT, UsageError } from '../exit-codes.js'
import { commandHelp, storeCommand } from '../command.js'
import { day, printList } from '../format.js'

const help = commandHelp({
  about: `Usage: authdock providers list [--json]

list     the login providers managed in the admin: id, name, active, issuer, client id, whether a
         client secret is stored and when it expires. Providers of the createAuthdock option
         \`oidc\` live in the host's configuration, not in the database, and are not listed.`,
  options: `  --json               print as JSON`,
})

export const providersCommand = storeCommand({
  name: 'providers',
  summary: 'list the login providers managed in the admin',
  help,
  options: { json: { type: 'boolean' } },
  takesArguments: true,
  prepare({ positionals: [action, ...rest] }) {
    if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}"`)
    if (action !== 'list')
      throw new UsageError(action ? `Unknown action "providers ${action}": use list` : 'Say what to do: providers list')
  },
  async run(store, { values, io }) {
    printList(io, {
      items: await store.loginProviders.list(),
      json: values.json,
      empty: 'No login providers are managed in the admin.',
      columns: [
        ['ID', (p) => p.id],
        ['NAME', (p) => p.label],
        ['ACTIVE', (p) => (p.active ? 'yes' : 'no')],
        ['ISSUER', (p) => p.issuer],
        ['CLIENT ID', (p) => p.clientId],
        ['SECRET', (p) => (p.hasClientSecret ? 'yes' : 'no')],
        ['SECRET EXPIRES', (p) => day(p.secretExpiresAt) || '-'],
      ],
    })
    return EXIT.OK
  },
})
