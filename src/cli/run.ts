/**
 * The `authdock` command without process globals: `run(argv, io)` returns the exit code, so tests
 * can call it in-process as well as through the real binary.
 */
import { EXIT, exitCodeForError, UsageError } from './exit-codes.js'
import type { CliIo, Command } from './io.js'
import { profilesCommand } from './commands/profiles.js'
import { checkSecretsCommand } from './commands/check-secrets.js'
import { tokenCommand } from './commands/token.js'
import { rotateKeyCommand } from './commands/rotate-key.js'
import { migrateCommand } from './commands/migrate.js'
import { providersCommand } from './commands/providers.js'
import { isAuthdockError } from '../errors.js'

export const COMMANDS: Command[] = [
  profilesCommand,
  providersCommand,
  checkSecretsCommand,
  tokenCommand,
  rotateKeyCommand,
  migrateCommand,
]

export const MAIN_HELP = `Usage: authdock <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(15)}${c.summary}`).join('\n')}

Every command takes --help. Configuration: --database URL or AUTHDOCK_DATABASE; AUTHDOCK_KEY
(encryption keys, comma-separated, newest first).

Exit codes: 0 done; check-secrets 1 warning, 2 error; 64 usage; 65 bad data; 69 database
unavailable; 70 internal error.`

/** Run one command line (without `node` and the script path). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && args[0]) {
      const c = COMMANDS.find((x) => x.name === args[0])
      if (c) {
        io.out(c.help)
        return EXIT.OK
      }
    }
    // Asked for help: stdout and success. No command at all: a usage error.
    if (name) io.out(MAIN_HELP)
    else io.err(MAIN_HELP)
    return name ? EXIT.OK : EXIT.USAGE
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    io.err(`authdock: unknown command "${name}"\n\n${MAIN_HELP}`)
    return EXIT.USAGE
  }
  try {
    return await command.run(args, io)
  } catch (err) {
    const exit = exitCodeForError(err)
    io.err(`authdock ${command.name}: ${describeError(err)}`)
    if (exit === EXIT.USAGE) io.err(`Try: authdock ${command.name} --help`)
    return exit
  }
}

/** Our own messages carry no secrets; foreign ones are cut short in case they quote input. */
function describeError(err: unknown): string {
  if (err instanceof UsageError) return err.message
  if (isAuthdockError(err)) return `${err.message} (${err.code})`
  if (err instanceof Error) return err.message.slice(0, 300)
  return String(err).slice(0, 300)
}
