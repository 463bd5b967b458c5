/** Run the real `authdock` command (through tsx, as during development) or its `run()` in-process. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { run } from '../../src/cli/run.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const tsx = join(root, 'node_modules', '.bin', 'tsx')
const main = join(root, 'src', 'cli', 'main.ts')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Spawn `tsx src/cli/main.ts …args` with only the given environment (plus PATH). */
export function spawnCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [main, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

/** The same command in-process (fast), with a clock. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  now = () => Date.now(),
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await run(args, { env, now, out: (l) => (stdout += `${l}\n`), err: (l) => (stderr += `${l}\n`) })
  return { code, stdout, stderr }
}
