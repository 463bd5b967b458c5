/**
 * The example app's configuration, read from environment variables only (see docs/example-app.md for the
 * variables). The library itself never reads process.env; this is the host's job.
 */
import { dirname, resolve } from 'node:path'
import express from 'express'

export interface ExampleSettings {
  port: number
  host: string
  /** Undefined: http://localhost:<port> once the port is known (PORT=0 picks a free one). */
  baseUrl: string | undefined
  /** Undefined: the embedded dev identity provider starts. */
  oidcIssuer: string | undefined
  oidcClientId: string | undefined
  oidcClientSecret: string | undefined
  oidcScope: string
  oidcClaim: string
  database: string
  redisUrl: string | undefined
  /** Key prefix of the sessions in Redis; undefined: authdock's default. */
  redisPrefix: string | undefined
  authdockKey: string | undefined
  sessionSecret: string | undefined
  /** Timeout of every request to a provider (authdock's `tokens.httpTimeoutMs`); undefined: its default. */
  httpTimeoutMs: number | undefined
  /** A PEM file of CA certificates the mail connections trust besides the public CAs (a private mail CA). */
  mailCaFile: string | undefined
  /** Express `trust proxy`: which reverse proxies may name the client address; undefined: none. */
  trustProxy: boolean | number | string | undefined
  /** Where generated secrets and the mail accounts live: the SQLite file's folder, else ./data. */
  dataDir: string
  /**
   * alice and bob (with their known passwords): with the embedded dev identity provider, or with
   * DEMO_USERS=1; never silently next to a real provider.
   */
  demoUsers: boolean
}

export type Env = Record<string, string | undefined>

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim())

function port(env: Env): number {
  const raw = nonEmpty(env.PORT) ?? '3000'
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n > 65535) throw new Error(`PORT must be a port number (0 picks a free one), not "${raw}"`)
  return n
}

function milliseconds(env: Env, name: string): number | undefined {
  const raw = nonEmpty(env[name])
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a number of milliseconds, not "${raw}"`)
  return Number(raw)
}

/** `true`/`false`, a hop count, or addresses, subnets and names (`loopback`) as Express takes them. */
function trustProxy(env: Env): ExampleSettings['trustProxy'] {
  const raw = nonEmpty(env.TRUST_PROXY)
  if (raw === undefined) return undefined
  const value = raw === 'true' || raw === 'false' ? raw === 'true' : /^\d+$/.test(raw) ? Number(raw) : raw
  try {
    // Express itself judges the value (it compiles the list when it is set).
    express().set('trust proxy', value)
  } catch (err) {
    throw new Error(
      `TRUST_PROXY must be true, false, a hop count or proxy addresses/subnets such as "loopback, 10.0.0.0/8", not "${raw}" (${(err as Error).message})`,
    )
  }
  return value
}

function flag(env: Env, name: string): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase()
  if (raw === undefined || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new Error(`${name} must be 1 or 0, not "${raw}"`)
}

export function readSettings(env: Env): ExampleSettings {
  const database = nonEmpty(env.AUTHDOCK_DATABASE) ?? 'sqlite:./data/authdock.db'
  const dataDir = database.startsWith('sqlite:') ? dirname(resolve(database.slice('sqlite:'.length))) : resolve('data')
  return {
    port: port(env),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    baseUrl: nonEmpty(env.BASE_URL)?.replace(/\/+$/, ''),
    oidcIssuer: nonEmpty(env.OIDC_ISSUER),
    oidcClientId: nonEmpty(env.OIDC_CLIENT_ID),
    oidcClientSecret: nonEmpty(env.OIDC_CLIENT_SECRET),
    oidcScope: nonEmpty(env.OIDC_SCOPE) ?? 'openid profile email',
    oidcClaim: nonEmpty(env.OIDC_CLAIM) ?? 'email',
    database,
    redisUrl: nonEmpty(env.REDIS_URL),
    redisPrefix: nonEmpty(env.REDIS_PREFIX),
    authdockKey: nonEmpty(env.AUTHDOCK_KEY),
    sessionSecret: nonEmpty(env.SESSION_SECRET),
    httpTimeoutMs: milliseconds(env, 'AUTHDOCK_HTTP_TIMEOUT_MS'),
    mailCaFile: nonEmpty(env.MAIL_CA_FILE),
    trustProxy: trustProxy(env),
    dataDir,
    demoUsers: nonEmpty(env.OIDC_ISSUER) === undefined || flag(env, 'DEMO_USERS'),
  }
}
