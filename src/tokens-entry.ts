/**
 * `authdock/tokens`: the token provider for processes without a web server (mail workers), with the
 * mail helpers that take it. Importing it loads neither express nor passport nor the views. Every
 * export is listed by hand; the main entry exports all of them (`export *` from here).
 */
export { openTokenProvider, type TokenWorker } from './tokens/worker.js'
export type { TokenWorkerOptions, Logger } from './config.js'
export { AuthdockError, isAuthdockError, ERROR_CODES, type AuthdockErrorCode } from './errors.js'
export type { TokenProvider, GetAccessTokenOptions, AccessToken, KeepAliveReport } from './tokens/types.js'
export { xoauth2, xoauth2Raw, oauthbearer, oauthbearerRaw } from './mail/sasl.js'
export {
  nodemailerAuth,
  nodemailerProvisionCallback,
  imapflowAuth,
  mailConnectionOptions,
  MAIL_ACCOUNT_TYPES,
  isMailAccountType,
} from './mail/adapters.js'
export type { MailAccountType, MailConnectionInput, MailConnectionOptions, ProvisionCallback } from './mail/adapters.js'
