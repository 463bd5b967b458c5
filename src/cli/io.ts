/** What a command may touch: its arguments, the environment, two output streams. Tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>
  out(line: string): void
  err(line: string): void
  /** Milliseconds since the epoch. */
  now(): number
}

export interface Command {
  name: string
  /** One line for the command list. */
  summary: string
  /** Full `--help` text. */
  help: string
  run(args: string[], io: CliIo): Promise<number>
}
