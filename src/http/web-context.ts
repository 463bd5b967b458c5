/**
 * What a router needs from the dock besides the services it calls: the resolved config, the views,
 * the logger and the clock. Deliberately no store and no event bus: a router reaches records only
 * through a service, which validates, audits, emits events and drops cached tokens.
 */
import type { Logger, ResolvedConfig } from '../config.js'
import type { Renderer } from './render.js'

export interface WebContext {
  readonly config: ResolvedConfig
  readonly views: Renderer
  readonly logger: Logger
  /** Milliseconds since the epoch; tests move it. */
  readonly now: () => number
}
