// PLACEHOLDER until the profiles module lands (owned by the profiles helper).
import express from 'express'
import type { DockContext } from '../context.js'
import type { TokenProvider } from '../tokens/types.js'
import type { ProfilesModule } from './types.js'

export function createProfiles(_ctx: DockContext, _tokens: TokenProvider): ProfilesModule {
  return { adminRouter: express.Router(), apiRouter: express.Router(), oauth2RedirectRouter: express.Router() }
}
