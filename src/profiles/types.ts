import type { Router } from 'express'
import type { ProfileManager } from './manager.js'

/**
 * `dock.profiles`: the profile operations for the host's code, and the routers `dock.router` mounts.
 *
 * @example
 * await dock.profiles.create({ name: 'Support mailbox', tokenUrl, clientId, clientSecret }, { actor: 'setup' })
 */
export interface ProfilesModule extends ProfileManager {
  /** HTML admin, mounted at `paths.admin`. Deny by default: needs `admin.guard`. */
  adminRouter: Router
  /** JSON admin API, mounted at `paths.adminApi`. */
  apiRouter: Router
  /** The redirect URI of "renew authorization", mounted at `paths.oauth2Redirect`. */
  oauth2RedirectRouter: Router
}
