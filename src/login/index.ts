// PLACEHOLDER until the login module lands (owned by the login helper).
import express from 'express'
import type { PassportStatic } from 'passport'
import type { DockContext } from '../context.js'
import type { LoginModule } from './types.js'

export async function createLogin(_ctx: DockContext, _passport: PassportStatic): Promise<LoginModule> {
  return {
    router: express.Router(),
    silentLogin: (_req, _res, next) => next(),
    requireLogin: (_req, res) => void res.status(401).json({ error: { code: 'UNAUTHENTICATED' } }),
    testWellKnown: async () => {
      throw new Error('not implemented')
    },
    close: async () => {},
  }
}
