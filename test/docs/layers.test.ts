/**
 * Data flows one way: routers → services → store (docs/architecture.md "Layers"). A router gets a
 * WebContext (config, views, logger, clock) and the services it calls, never the store or the
 * DockContext bag, so it cannot write a record past the service that validates, audits, emits the
 * event and drops cached tokens. The type system keeps that once a router's parameters are narrow;
 * this test keeps the imports that would widen them out of every file that builds routes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/**
 * The composition root: it opens the store, builds the context and the services, and mounts the
 * routers they return on the one router a host uses. It is the only place that holds both.
 */
const COMPOSITION_ROOT = 'authdock.ts'

/** Files that build routes: they create a Router (also through jsonApiRouter) or add routes to one handed in. */
const BUILDS_ROUTES = /\b(?:express\.)?Router\(\s*\)|\bjsonApiRouter\(|\brouter: Router\b/
const ROUTER_FILE = /(?:^|[-/])(?:router|routes)\.ts$/

const buildsRoutes = (name: string, text: string) => ROUTER_FILE.test(name) || BUILDS_ROUTES.test(text)

/** Store record types (`Profile`, `AuditEntry` …) a router may name; the store itself it may not. */
const STORE_HANDLES = new Set(['Store', 'StoreOptions', 'Db'])

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

/** What `file` imports that a router must not: the context bag, the store, or the dock's store. */
function forbiddenImports(file: string, text: string): string[] {
  const found: string[] = []
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false)
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue
    const spec = statement.moduleSpecifier
    if (!spec || !ts.isStringLiteral(spec)) continue
    const from = spec.text
    if (/(^|\/)(context|internal)\.js$/.test(from)) {
      found.push(`imports ${from}`)
      continue
    }
    if (!/(^|\/)store(\/|\/index\.js$|\.js$)/.test(from)) continue
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined
    const typeOnly = clause?.isTypeOnly ?? false
    const names: Array<{ name: string; typeOnly: boolean }> = []
    const bindings = clause?.namedBindings
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) names.push({ name: el.name.text, typeOnly: typeOnly || el.isTypeOnly })
    }
    if (!clause || clause.name || (bindings && !ts.isNamedImports(bindings)) || from.endsWith('store/index.js')) {
      found.push(`imports ${from} as a whole`)
      continue
    }
    for (const { name, typeOnly: isType } of names) {
      if (!isType) found.push(`imports the value ${name} from ${from}`)
      else if (STORE_HANDLES.has(name)) found.push(`imports the type ${name} from ${from}`)
    }
  }
  return found
}

/** Every violation under `srcDir`, as `file: what`. */
function layerViolations(srcDir: string): string[] {
  const violations: string[] = []
  for (const file of sourceFiles(srcDir)) {
    const name = relative(srcDir, file)
    if (name === COMPOSITION_ROOT) continue
    const text = readFileSync(file, 'utf8')
    if (!buildsRoutes(name, text)) continue
    for (const what of forbiddenImports(file, text)) violations.push(`${name}: ${what}`)
    if (/\bDockContext\b/.test(text)) violations.push(`${name}: names DockContext`)
  }
  return violations
}

describe('routers receive services, not the store or the context', () => {
  it('finds the files that build routes', () => {
    const routers = sourceFiles(SRC)
      .filter((f) => buildsRoutes(relative(SRC, f), readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f))
    // A rename of the markers must not make this test pass by finding nothing.
    expect(routers).toEqual(
      expect.arrayContaining([
        'profiles/admin-router.ts',
        'profiles/api-router.ts',
        'audit/router.ts',
        'login/routes.ts',
        'credentials/api-router.ts',
      ]),
    )
  })

  it('no file that builds routes imports the store, the context bag or the dock internals', () => {
    expect(layerViolations(SRC)).toEqual([])
  })

  it('would notice a router that imports the store or takes the DockContext', () => {
    const bad = [
      "import express from 'express'",
      "import type { DockContext } from '../context.js'",
      "import { openStore } from '../store/index.js'",
      "import type { Store, Profile } from '../store/types.js'",
      'export function r(ctx: DockContext) { const router = express.Router(); return router }',
    ].join('\n')
    expect(forbiddenImports('bad.ts', bad)).toEqual([
      'imports ../context.js',
      'imports ../store/index.js as a whole',
      'imports the type Store from ../store/types.js',
    ])
  })
})
