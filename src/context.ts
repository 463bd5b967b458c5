/**
 * What every service receives from `createAuthdock`: the resolved config, the store, the clock,
 * fetch, the logger and the event bus. Passing one object keeps constructors stable as features grow.
 */
import type { AuthdockEventEmitter } from './events.js'
import type { ResolvedConfig, Logger } from './config.js'
import type { Store } from './store/types.js'
import type { Renderer } from './http/render.js'

export interface DockContext {
  config: ResolvedConfig
  store: Store
  /** Milliseconds since the epoch; tests move it. */
  now: () => number
  /** fetch for calls to providers (injectable). */
  fetch: typeof fetch
  logger: Logger
  /** Events for the host: see README "Events". */
  events: AuthdockEventEmitter
  views: Renderer
}

/**
 * What the token provider needs: no views, no session, no users. A token-only worker (see
 * `openTokenProvider`) builds just this, so a mail daemon never loads the web side.
 */
export type TokenContext = Pick<DockContext, 'store' | 'now' | 'fetch' | 'logger' | 'events'> & {
  config: Pick<ResolvedConfig, 'tokens' | 'lookup'>
}
