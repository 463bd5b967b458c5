/**
 * authdock's public API. Every export is listed by hand; nothing else is part of the contract
 * (README "Public API" lists each with one line).
 */
// The `authdock/tokens` entry (token provider, errors, SASL and mail helpers) is a subset of this
// one: its list is kept there only.
export * from './tokens-entry.js'
export { createAuthdock, type Authdock } from './authdock.js'
export type { AuthdockOptions, ResolvedConfig, ProviderConfig, AuthdockUser, UserCallbacks } from './config.js'
// Error types beyond the tokens entry's AuthdockError and codes: details typed per code.
export type {
  AnyAuthdockError,
  ErrorDetails,
  ProviderFailureDetails,
  LoginFailureDetails,
  CertificateFailureDetails,
} from './errors.js'
export type { WellKnownReport, LoginModule } from './login/types.js'
export type { WellKnownFinding, WellKnownFindingCode } from './login/types.js'
export { LoginProviderService, type ListedLoginProvider } from './login/provider-admin.js'
export type { LoginProvidersModule } from './login/provider-admin-module.js'
export type { LoginProviderInput, LoginProviderRecord } from './store/types.js'
export type { Profile, ProfileInput, TokenSummary, Store } from './store/types.js'
export { openStore, type OpenStoreOptions } from './store/index.js'
export { StoreSessionStore } from './store/session-store.js'
export { verifyCsrf, csrfToken } from './http/csrf.js'
export type { LayoutPage, LayoutFunction } from './http/layout.js'
export type { Language, Translate } from './http/i18n.js'
export { safeReturnTo } from './login/index.js'
export type { LoginSucceededEvent, LoginFailedEvent } from './login/outcome.js'
export type { DeviceReusedEvent } from './login/device.js'
export type {
  AuthdockEvents,
  AuthdockEventName,
  AuthdockEventEmitter,
  ProfileChangeEvent,
  CertificateEvent,
  LoginProviderChangeEvent,
} from './events.js'
export { storedErrorHint } from './tokens/index.js'
export { nodemailerOptions, imapflowOptions } from './mail/adapters.js'
export type { NodemailerTransportOptions, ImapflowConnectOptions } from './mail/adapters.js'
export { mailTlsError, type MailTlsOptions } from './mail/tls.js'
export {
  testMailConnection,
  type ConnectionTestInput,
  type ConnectionTestReport,
  type ConnectionTestStep,
} from './mail/test-connection.js'
export type {
  MailModule,
  MailTextOptions,
  MailAccountTypeInfo,
  MailProfileChoice,
  MailAccountNote,
  MailNoteCode,
  PasswordMailAccountType,
} from './mail/index.js'
export type { ProfilesModule } from './profiles/types.js'
export type { ProfileManager, ProfileFields, NewProfile, ActorOption, ProfileRow } from './profiles/index.js'
export {
  parseProfileInput,
  presetValues,
  microsoft365Preset,
  googlePreset,
  isValidTenantId,
  profilesCsv,
} from './profiles/index.js'
export {
  redactSecrets,
  checkSecrets,
  type SecretFinding,
  type ReadinessReport,
  type DailyCheckResult,
} from './ops/index.js'
export type { ReadinessSummary } from './ops/index.js'
export type { CredentialsModule } from './credentials/index.js'
export type {
  CertificateRecord,
  ClientAuthMethod,
  CredentialOwner,
  CredentialOwnerKind,
} from './store/credential-types.js'
