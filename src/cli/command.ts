/**
 * The skeleton every `authdock` command shares: parse the options (`--database` and `--help` come
 * with each), answer `--help`, check the arguments before anything touches the database, then open
 * the store, run and close it whatever happens. A command writes only what is its own.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { Store } from '../store/types.js'
import { EXIT, UsageError } from './exit-codes.js'
import type { CliIo, Command } from './io.js'
import { DATABASE_OPTION, STORE_HELP, openCliStore } from './store.js'

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>

const COMMON_OPTIONS = { ...DATABASE_OPTION, help: { type: 'boolean', short: 'h' } } as const

type ParsedArgs<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; strict: true; allowPositionals: true }>
>

/**
 * A command's `--help`: what it does, its own options (help-formatted lines), then the options and
 * the exit codes every command shares.
 */
export function commandHelp(help: { about: string; options?: string; exitCodes?: string }): string {
  const own = help.options ? `${help.options}\n` : ''
  const exitCodes = help.exitCodes ?? '0 done, 64 usage, 69 database unavailable'
  return `${help.about}\n\nOptions:\n${own}  -h, --help           this text\n${STORE_HELP}\n\nExit codes: ${exitCodes}.`
}

/** What a command gets from its command line. */
export interface CommandInput<O extends ParseArgsOptionsConfig> {
  values: ParsedArgs<O>['values']
  positionals: string[]
  io: CliIo
}

export interface StoreCommandSpec<O extends ParseArgsOptionsConfig, P> {
  name: string
  summary: string
  help: string
  /** The command's own options. */
  options?: O
  /** Without this, any positional argument is a usage error. */
  takesArguments?: boolean
  /** Whether a missing SQLite file may be created (only `migrate`: a mistyped path should fail). */
  create?: boolean
  /** Checks and reads the arguments; runs before the store opens, so a usage error never touches it. */
  prepare?(input: CommandInput<O>): P
  run(store: Store, input: CommandInput<O>, prepared: P): Promise<number>
}

/** A command that works on the store. Exit codes of thrown errors come from `exitCodeForError`. */
export function storeCommand<O extends ParseArgsOptionsConfig = Record<never, never>, P = undefined>(
  spec: StoreCommandSpec<O, P>,
): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: spec.help,
    async run(args: string[], io: CliIo): Promise<number> {
      const { values, positionals } = parseArgs({
        args,
        options: { ...COMMON_OPTIONS, ...spec.options },
        strict: true,
        allowPositionals: true,
      }) as ParsedArgs<O>
      // The options every command has; the generic type cannot show them inside this function.
      const common = values as { help?: boolean; database?: string }
      if (common.help) {
        io.out(spec.help)
        return EXIT.OK
      }
      if (!spec.takesArguments && positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}"`)
      const input: CommandInput<O> = { values, positionals, io }
      const prepared = spec.prepare?.(input) as P
      const store = await openCliStore({ database: common.database, io, create: spec.create })
      try {
        return await spec.run(store, input, prepared)
      } finally {
        await store.close()
      }
    },
  }
}
