/**
 * `npm run bench`: runs every benchmark one after another in child processes (so one's warm JIT and
 * open sockets never colour the next) and prints their output. Pass names to run some:
 * `npm run bench -- http login`. Not part of npm test; figures go to docs/benchmarks.md by hand.
 */
import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const ALL = ['http', 'login', 'tokens', 'scale', 'keep-alive'] as const
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : [...ALL]
const here = dirname(fileURLToPath(import.meta.url))

console.log(
  `# authdock benchmarks — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
)
let failed = 0
for (const name of chosen) {
  if (!(ALL as readonly string[]).includes(name)) {
    console.error(`unknown benchmark "${name}" (known: ${ALL.join(', ')})`)
    process.exit(64)
  }
  console.log(`\n## ${name}`)
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit' })
  if (run.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
