import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root (where package.json lives), whether running from src/ (tsx, vitest) or dist/src/. */
export const packageDir: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('authdock: cannot find its package.json')
    dir = parent
  }
  return dir
})()

export const packageViewsDir = join(packageDir, 'views')
