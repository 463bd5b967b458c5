/**
 * The OAuth2 profiles module: the HTML admin, the JSON API and the redirect of "renew
 * authorization", all over one {@link ProfileService}.
 */
import type { DockContext } from '../context.js'
import type { TokenProvider } from '../tokens/types.js'
import { createAdminRouter } from './admin-router.js'
import { createApiRouter } from './api-router.js'
import { createRedirectRouter } from './redirect-router.js'
import { ProfileService } from './service.js'
import { createProfileManager } from './manager.js'
import type { ProfilesModule } from './types.js'

/**
 * Create the profiles module: the operations of {@link ProfileManager} (`dock.profiles.create` …)
 * and the routers. createAuthdock mounts the routers at `paths.admin`, `paths.adminApi` and
 * `paths.oauth2Redirect`; every one refuses requests that the host's `admin.guard` does not admit.
 *
 * @example
 * const profiles = createProfiles(ctx, tokens)
 * app.use('/admin/oauth2-profiles', profiles.adminRouter)
 */
export function createProfiles(ctx: DockContext, tokens: TokenProvider): ProfilesModule {
  const service = new ProfileService(ctx, tokens)
  return {
    ...createProfileManager(ctx, service),
    adminRouter: createAdminRouter(ctx, service),
    apiRouter: createApiRouter(ctx, service),
    oauth2RedirectRouter: createRedirectRouter(ctx, service),
  }
}

export { ProfileService, actorOf, type ProfileRow } from './service.js'
export type { ProfileManager, ProfileFields, NewProfile, ActorOption } from './manager.js'
export { parseProfileInput, profileBodySchema, defaultRedirectUrl, FIELD_LIMITS } from './schema.js'
export {
  PRESET_IDS,
  presetValues,
  microsoft365Preset,
  googlePreset,
  discoveredPreset,
  isValidTenantId,
  type PresetId,
  type PresetValues,
} from './presets.js'
export { profilesCsv } from './csv.js'
