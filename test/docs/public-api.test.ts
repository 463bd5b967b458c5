/**
 * The public API as a reader of the package meets it: every export of src/index.ts carries TSDoc
 * with an @example where it is declared, and the README lists it.
 */
import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = new URL('../../', import.meta.url)
const indexFile = new URL('src/index.ts', root).pathname

function publicExports(): Array<{ name: string; file: string; hasExample: boolean }> {
  const program = ts.createProgram([indexFile], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  })
  const checker = program.getTypeChecker()
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(indexFile)!)!
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const declarations = symbol.declarations ?? []
    const hasExample = declarations.some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'))
    return {
      name: exported.name,
      file: declarations[0]?.getSourceFile().fileName.replace(new URL(root).pathname, '') ?? '?',
      hasExample,
    }
  })
}

describe('the public API', () => {
  const exports = publicExports()

  it('documents every export of src/index.ts with TSDoc and an @example', () => {
    expect(exports.length).toBeGreaterThan(40)
    expect(exports.filter((e) => !e.hasExample).map((e) => `${e.name} (${e.file})`)).toEqual([])
  })

  it('lists every export in the README, one line each', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8')
    const start = readme.indexOf('\n## Public API\n')
    const end = readme.indexOf('\n## ', start + 1)
    const section = start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end)
    expect(section.length, 'README has a "## Public API" section').toBeGreaterThan(20)
    expect(exports.filter((e) => !new RegExp(`^\\| \`${e.name}\``, 'm').test(section)).map((e) => e.name)).toEqual([])
  })
})
