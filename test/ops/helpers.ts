/**
 * A DockContext for the operations tests, over a real store: resolved config, movable clock,
 * a logger that records its lines, a real event bus and renderer.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { resolveConfig, type AuthdockOptions, type Logger } from '../../src/config.js'
import { openStore } from '../../src/store/index.js'
import { Renderer } from '../../src/http/render.js'
import type { DockContext } from '../../src/context.js'
import type { ProfileInput, Store } from '../../src/store/types.js'

export const DAY = 24 * 60 * 60 * 1000

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  obj: unknown
  msg?: string
}

/** A logger that keeps its lines. A class, so resolveConfig does not freeze it (host objects stay theirs). */
export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = []
  debug(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'debug', obj, msg })
  }
  info(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg })
  }
  warn(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg })
  }
  error(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'error', obj, msg })
  }
}

/** A clock that stands still unless moved (the tests count whole days; real time must not creep in). */
export interface TestClock {
  now(): number
  advance(ms: number): void
  set(ms: number): void
}

export function fixedClock(start = Date.now()): TestClock {
  let t = start
  return {
    now: () => t,
    advance(ms) {
      t += ms
    },
    set(ms) {
      t = ms
    },
  }
}

export interface OpsContext {
  ctx: DockContext
  clock: TestClock
  logger: RecordingLogger
  store: Store
  close(): Promise<void>
}

/** Options the tests do not care about, valid enough for resolveConfig. */
export function baseOptions(database: string, keys: string[]): AuthdockOptions {
  return {
    baseUrl: 'http://127.0.0.1:1',
    database,
    encryptionKey: keys,
    session: { secret: randomBytes(24).toString('hex') },
    users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
  }
}

export async function opsContext(
  database: string,
  keys: string[],
  options: Partial<AuthdockOptions> = {},
  clock = fixedClock(),
): Promise<OpsContext> {
  const logger = new RecordingLogger()
  const config = resolveConfig({ ...baseOptions(database, keys), logger, now: clock.now, ...options })
  const store = await openStore(config.database, { encryptionKeys: config.encryptionKey, now: clock.now })
  const ctx: DockContext = {
    config,
    store,
    now: clock.now,
    fetch: globalThis.fetch,
    logger,
    events: new EventEmitter(),
    views: new Renderer(config),
  }
  return { ctx, clock, logger, store, close: () => store.close() }
}

export function profileInput(overrides: Partial<ProfileInput> = {}): ProfileInput {
  return {
    name: 'Mailbox',
    grantType: 'authorization_code',
    authorizationUrl: 'https://login.example.com/authorize',
    tokenUrl: 'https://login.example.com/token',
    redirectUrl: 'https://app.example.com/oauth2redirect',
    clientId: 'client-1',
    clientSecret: 'profile-client-secret-DO-NOT-LEAK',
    scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
    valid: true,
    secretExpiresAt: null,
    proxy: null,
    preset: null,
    tenantId: null,
    ...overrides,
  }
}
