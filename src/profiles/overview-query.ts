/**
 * The overview's search and paging from a query string (`?q=&state=&expires=&page=&pageSize=`),
 * shared by the HTML overview and the JSON list. Invalid values are refused naming the field, so a
 * mistyped filter never silently shows everything.
 */
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'
import {
  PROFILE_PAGE_DEFAULT,
  PROFILE_PAGE_MAX,
  type ProfilePageQuery,
  type ProfileStateFilter,
} from '../store/types.js'

export const OVERVIEW_STATES: readonly ProfileStateFilter[] = [
  'ok',
  'reauthorization_required',
  'secret_expired',
  'error',
  'none',
]

const one = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** The parsed filter, with the values to put back into the search form and links. */
export interface OverviewQuery extends ProfilePageQuery {
  page: number
  pageSize: number
}

/** Throws VALIDATION_FAILED with `fields` naming each bad parameter. */
export function parseOverviewQuery(query: Record<string, unknown>): OverviewQuery {
  const fields: Record<string, string> = {}
  for (const name of ['q', 'state', 'expires', 'page', 'pageSize']) {
    if (query[name] !== undefined && typeof query[name] !== 'string') fields[name] = fieldMessage('givenOnce')
  }
  const q = one(query.q)?.trim()
  if (q && q.length > 200) fields.q = fieldMessage('tooLong', { max: 200 })
  const state = one(query.state)
  if (state && !(OVERVIEW_STATES as readonly string[]).includes(state))
    fields.state = fieldMessage('oneOf', { list: OVERVIEW_STATES.join(', ') })
  const number = (name: string, max: number): number | undefined => {
    const raw = one(query[name])
    if (raw === undefined || fields[name]) return undefined
    if (!/^[0-9]{1,6}$/.test(raw) || Number(raw) > max) {
      fields[name] = fieldMessage('wholeNumberRange', { min: name === 'expires' ? 0 : 1, max })
      return undefined
    }
    if (name !== 'expires' && Number(raw) < 1) fields[name] = fieldMessage('wholeNumberRange', { min: 1, max })
    return Number(raw)
  }
  const expires = number('expires', 3650)
  const page = number('page', 100_000)
  const pageSize = number('pageSize', PROFILE_PAGE_MAX)
  if (Object.keys(fields).length) {
    throw new AuthdockError('VALIDATION_FAILED', `Invalid profile search: ${Object.keys(fields).join(', ')}`, {
      fields,
    })
  }
  return {
    q: q || undefined,
    state: state as ProfileStateFilter | undefined,
    expiresWithinDays: expires,
    page: page ?? 1,
    pageSize: pageSize ?? PROFILE_PAGE_DEFAULT,
  }
}

/** The query string of `query` with `changes` applied ('' when nothing is set). */
export function overviewHref(query: OverviewQuery, changes: Partial<OverviewQuery> = {}): string {
  const merged = { ...query, ...changes }
  const params = new URLSearchParams()
  if (merged.q) params.set('q', merged.q)
  if (merged.state) params.set('state', merged.state)
  if (merged.expiresWithinDays !== undefined) params.set('expires', String(merged.expiresWithinDays))
  if (merged.page > 1) params.set('page', String(merged.page))
  if (merged.pageSize !== PROFILE_PAGE_DEFAULT) params.set('pageSize', String(merged.pageSize))
  const s = params.toString()
  return s ? `?${s}` : ''
}
