/**
 * The example app for tests: startExampleApp with PORT=0, a temporary SQLite database (its folder
 * also receives the generated secrets and the mail accounts) and the log lines captured instead of
 * printed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startExampleApp, type ExampleApp } from '../../example-app/app.js'
import { withStore, type TestDock } from '../fixtures/test-app.js'

export interface ExampleAppFixture extends ExampleApp {
  /** The example's dock with its store beside it (see TestDock). */
  dock: TestDock
  dataDir: string
  logLines: string[]
}

export async function startExampleFixture(env: Record<string, string | undefined> = {}): Promise<ExampleAppFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'authdock-example-'))
  const logLines: string[] = []
  try {
    const app = await startExampleApp(
      { PORT: '0', HOST: '127.0.0.1', AUTHDOCK_DATABASE: `sqlite:${join(dataDir, 'authdock.db')}`, ...env },
      { log: (line) => logLines.push(line), dataDir },
    )
    return {
      ...app,
      dock: withStore(app.dock),
      dataDir,
      logLines,
      async close() {
        await app.close()
        await rm(dataDir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  }
}

/** The action of the first form on a page (the dev IdP's login form), resolved against the page URL. */
export function formAction(html: string, pageUrl: string, id?: string): string {
  const forms = [...html.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>/g)]
  const match = id ? forms.find((f) => f[0].includes(`id="${id}"`)) : forms[0]
  if (!match) throw new Error(`no form${id ? ` #${id}` : ''} on ${pageUrl}`)
  return new URL(match[1].replace(/&amp;/g, '&'), pageUrl).toString()
}
