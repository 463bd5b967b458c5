import type { Router } from 'express'

export interface ProfilesModule {
  /** HTML admin, mounted at `paths.admin`. Deny by default: needs `admin.guard`. */
  adminRouter: Router
  /** JSON admin API, mounted at `paths.adminApi`. */
  apiRouter: Router
  /** The redirect URI of "renew authorization", mounted at `paths.oauth2Redirect`. */
  oauth2RedirectRouter: Router
}
