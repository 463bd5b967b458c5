#!/usr/bin/env node
/**
 * The `authdock` administration command (the package's bin). See `authdock --help`.
 * During development: `npx tsx src/cli/main.ts --help`.
 */
import { run } from './run.js'

const code = await run(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => Date.now(),
})
// exitCode, not exit(): let stdout drain when piped.
process.exitCode = code
