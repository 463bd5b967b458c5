/**
 * authdock's public API. Every export is listed by hand; nothing else is part of the contract.
 */
export { createAuthdock, type Authdock } from './authdock.js'
export { AuthdockError, isAuthdockError, ERROR_CODES, type AuthdockErrorCode } from './errors.js'
export type { AuthdockOptions, ResolvedConfig, ProviderConfig, AuthdockUser, UserCallbacks, Logger } from './config.js'
export type { TokenProvider, GetAccessTokenOptions } from './tokens/types.js'
export type { WellKnownReport, LoginModule } from './login/types.js'
export type { Profile, ProfileInput, TokenSummary, Store } from './store/types.js'
