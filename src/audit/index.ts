/**
 * The audit trail: its reader (the service) and its routers. Writing needs nothing from here: the
 * store's audit repository redacts every entry on the way in, whoever writes it.
 */
import type { Store } from '../store/types.js'
import type { WebContext } from '../http/web-context.js'
import { createAuditRouters, type AuditRouters } from './router.js'
import { AuditService } from './service.js'

export interface AuditModule extends AuditRouters {
  service: AuditService
}

export function createAudit(ctx: WebContext & { store: Pick<Store, 'audit' | 'profiles'> }): AuditModule {
  const service = new AuditService(ctx.store)
  return { service, ...createAuditRouters(ctx, service) }
}

export { AuditService } from './service.js'
export type { AuditRouters } from './router.js'
