// PLACEHOLDER until the token provider lands (owned by the tokens helper).
import type { DockContext } from '../context.js'
import type { TokenProvider } from './types.js'

export function createTokenProvider(_ctx: DockContext): TokenProvider {
  return {
    getAccessToken: async () => {
      throw new Error('not implemented')
    },
    invalidate: () => {},
    close: async () => {},
  }
}
