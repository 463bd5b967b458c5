/**
 * Host applications that install authdock from its packed tarball, the way a new user would: a
 * fresh folder, `npm install` of the tarball and express, and a small JS file that mounts authdock
 * as the README's "Mount it in your Express app" shows. Each host runs as a child process on port 0
 * and talks to the test over IPC: it reports its origin once it listens (authdock's `baseUrl`
 * needs the port), receives the identity provider's settings, and reports 'ready' once mounted.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const projectRequire = createRequire(join(ROOT, 'package.json'))

/** The environment of an npm child: nothing npm-specific inherited from `npm test` itself. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))
}

/** `npm pack` of the project into `dir` (its prepack script builds dist/); returns the tarball's path. */
export async function packAuthdock(dir: string): Promise<string> {
  await run('npm', ['pack', '--pack-destination', dir, '--no-update-notifier'], {
    cwd: ROOT,
    env: npmEnv(),
    maxBuffer: 16 * 1024 * 1024,
  })
  const [tarball] = (await readdir(dir)).filter((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`)
  return join(dir, tarball)
}

/** The version of a package installed in this project (the lock file's version). */
export function projectVersion(spec: string): string {
  return (projectRequire(`${spec}/package.json`) as { version: string }).version
}

export interface HostSpec {
  name: string
  module: 'esm' | 'cjs'
  /** Exact express version for the host's package.json. */
  express: string
  /** The host already runs passport (its global instance) for an API of its own. */
  passport?: boolean
}

/**
 * A fresh host folder with authdock (from the tarball) and express installed by a real
 * `npm install` against the local registry. `--ignore-scripts` spares compiling better-sqlite3
 * again (~80 s per host on two cores): the project's own build of the same version (same lock
 * file, same Node) is copied in instead, after checking that the versions match.
 */
export async function installHost(root: string, spec: HostSpec, tarball: string, registry: string): Promise<string> {
  const dir = join(root, spec.name)
  await mkdir(dir, { recursive: true })
  const dependencies: Record<string, string> = { authdock: `file:${tarball}`, express: spec.express }
  if (spec.passport) dependencies.passport = projectVersion('passport')
  const pkg = {
    name: spec.name,
    version: '1.0.0',
    private: true,
    type: spec.module === 'esm' ? 'module' : 'commonjs',
    dependencies,
  }
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
  await run(
    'npm',
    [
      'install',
      '--registry',
      registry,
      '--cache',
      join(root, 'npm-cache'),
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-update-notifier',
      '--loglevel',
      'error',
    ],
    { cwd: dir, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 },
  )
  const hostSqlite = JSON.parse(await readFile(join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')) as {
    version: string
  }
  const ownSqlite = projectVersion('better-sqlite3')
  if (hostSqlite.version !== ownSqlite)
    throw new Error(
      `better-sqlite3 ${hostSqlite.version} in the host, ${ownSqlite} built here: the binary cannot be reused`,
    )
  const binary = join(
    dirname(projectRequire.resolve('better-sqlite3/package.json')),
    'build/Release/better_sqlite3.node',
  )
  await mkdir(join(dir, 'node_modules/better-sqlite3/build/Release'), { recursive: true })
  await copyFile(binary, join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))
  await writeFile(join(dir, spec.module === 'esm' ? 'server.js' : 'server.cjs'), hostSource(spec))
  if (spec.module === 'cjs') await writeFile(join(dir, 'peers.cjs'), PEERS_PROBE)
  return dir
}

/** Every installed copy of a package in a host (`npm ls --all --parseable` lists each folder once), by version. */
export async function installedCopies(dir: string, name: string): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', name, '--all', '--parseable'], { cwd: dir, env: npmEnv() })
  const folders = stdout.split('\n').filter((line) => line.endsWith(`/node_modules/${name}`))
  return Promise.all(
    folders.map(
      async (f) => (JSON.parse(await readFile(join(f, 'package.json'), 'utf8')) as { version: string }).version,
    ),
  )
}

export interface HostSettings {
  issuer: string
  clientId: string
  clientSecret: string
  encryptionKey: string
  sessionSecret: string
}

export interface RunningHost {
  url: string
  /** The express version the host loaded, and the one authdock resolved from its own folder. */
  express: string
  authdockExpress: string
  child: ChildProcess
  output: string[]
  stop(): Promise<void>
}

/** Start a host: wait for its origin, send the settings, wait until authdock is mounted. */
export async function startHost(
  dir: string,
  spec: HostSpec,
  settings: (baseUrl: string) => Promise<HostSettings>,
): Promise<RunningHost> {
  const child = spawn(process.execPath, [spec.module === 'esm' ? 'server.js' : 'server.cjs'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const output: string[] = []
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()))
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = await new Promise<{ url: string; express: string; authdockExpress: string }>((resolve, reject) => {
    child.on('message', (m: { type: string; baseUrl?: string; express?: string; authdockExpress?: string }) => {
      if (m.type === 'listening') settings(m.baseUrl!).then((s) => child.send(s), reject)
      if (m.type === 'ready') resolve({ url: m.baseUrl!, express: m.express!, authdockExpress: m.authdockExpress! })
    })
    child.once('exit', (code) =>
      reject(new Error(`host ${spec.name} exited (${code}) before it was ready:\n${output.join('')}`)),
    )
  })
  // A host that dies mid-test (e.g. an unhandled rejection) says why in the test output.
  child.once('exit', (code, signal) => {
    if (code !== 0) console.error(`host ${spec.name} exited (${code ?? signal}):\n${output.join('').slice(-4000)}`)
  })
  return {
    ...ready,
    child,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.send({ type: 'stop' })
      await exited
    },
  }
}

/** Run the CommonJS host's probe of the optional peers; its JSON answer. */
export async function probePeers(dir: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['peers.cjs'], { cwd: dir })
  return JSON.parse(stdout) as Record<string, unknown>
}

const USERS = `[
    { id: 'u-alice', username: 'alice', email: 'alice@example.com', password: 'alice-password', passwordLogin: true, isAdmin: true },
    { id: 'u-bob', username: 'bob', email: 'bob@example.com', passwordLogin: false },
  ]`

/** The host's server file: the README's setup, plus the IPC handshake and a route of the "mail module". */
function hostSource(spec: HostSpec): string {
  const imports =
    spec.module === 'esm'
      ? `import http from 'node:http'
import { createRequire } from 'node:module'
import express from 'express'
import { createAuthdock } from 'authdock'
${spec.passport ? "import passport from 'passport'\n" : ''}const require = createRequire(import.meta.url)`
      : `const http = require('node:http')
const { createRequire } = require('node:module')
const express = require('express')
// Node 20.19+ loads the ES module package through require().
const { createAuthdock } = require('authdock')
${spec.passport ? "const passport = require('passport')\n" : ''}`
  const passportSetup = spec.passport
    ? `
  // The host's own API login: passport's global instance with a strategy of its own, set up before
  // authdock. authdock brings its own Passport instance, so neither sees the other's strategies.
  class ApiKeyStrategy extends passport.Strategy {
    constructor() {
      super()
      this.name = 'api-key'
    }
    authenticate(req) {
      if (req.get('x-api-key') === 'host-api-key') this.success({ id: 'api-client' })
      else this.fail(401)
    }
  }
  passport.use(new ApiKeyStrategy())
  app.use(passport.initialize())
`
    : ''
  const passportRoutes = spec.passport
    ? `  app.get('/api/ping', passport.authenticate('api-key', { session: false }), (req, res) => res.json({ client: req.user.id }))\n`
    : ''
  return `// A host application as a new user writes it from authdock's README.
${imports}

async function main() {
  // authdock's baseUrl needs the port: listen on port 0 first, then tell the test where.
  const server = http.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = 'http://127.0.0.1:' + server.address().port
  const settings = await new Promise((resolve) => {
    process.once('message', resolve)
    process.send({ type: 'listening', baseUrl })
  })

  const users = ${USERS}
  const find = (match) => {
    const user = users.find(match)
    if (!user) return null
    const { password, ...rest } = user
    return rest
  }

  const app = express()
${passportSetup}
  const dock = await createAuthdock({
    baseUrl,
    database: 'sqlite:./data/authdock.db',
    encryptionKey: settings.encryptionKey,
    session: { secret: settings.sessionSecret },
    oidc: { issuer: settings.issuer, clientId: settings.clientId, clientSecret: settings.clientSecret, claim: 'email' },
    users: {
      findByClaim: ({ value }) => find((u) => u.email === value),
      findByUsername: ({ username }) => find((u) => u.username === username),
      findById: ({ id }) => find((u) => u.id === id),
      verifyPassword: ({ user, password }) => users.find((u) => u.id === user.id)?.password === password,
      isPasswordLoginEnabled: ({ user }) => user.passwordLogin === true,
    },
    admin: { guard: (req) => req.user?.isAdmin === true },
  })

  app.use(dock.router)
  app.get('/me', dock.requireLogin, (req, res) => res.json({ user: req.user }))
  // The mail module asks for a profile's access token.
  app.get('/mail-token', dock.requireLogin, (req, res, next) => {
    dock.tokens.getAccessToken(String(req.query.profile)).then((token) => res.json({ token }), next)
  })
${passportRoutes}  server.on('request', app)

  process.on('message', (m) => {
    if (m.type !== 'stop') return
    server.closeAllConnections()
    server.close()
    dock.close().then(() => process.exit(0))
  })
  process.send({
    type: 'ready',
    baseUrl,
    express: require('express/package.json').version,
    authdockExpress: createRequire(require.resolve('authdock'))('express/package.json').version,
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
`
}

/**
 * Run in the CommonJS host: authdock and authdock/tokens load through require() although neither
 * pg nor connect-redis is installed, and a host that asks for PostgreSQL or Redis sessions without
 * them is told which package to install.
 */
const PEERS_PROBE = `const { createAuthdock } = require('authdock')
const { openTokenProvider } = require('authdock/tokens')

const installed = (name) => {
  try {
    require.resolve(name)
    return true
  } catch {
    return false
  }
}
const base = {
  baseUrl: 'http://127.0.0.1:3000',
  database: 'sqlite::memory:',
  encryptionKey: Buffer.alloc(32, 7).toString('base64'),
  session: { secret: 'a-session-secret-of-some-length' },
  users: { findByClaim: () => null, findByUsername: () => null, findById: () => null },
}
// What authdock checks of a node-redis client: it is never called, connect-redis is missing first.
const redis = { isOpen: true, isReady: true, get: async () => null, set: async () => 'OK', del: async () => 0 }
async function attempt(extra) {
  try {
    const dock = await createAuthdock({ ...base, ...extra })
    await dock.close()
    return { ok: true }
  } catch (err) {
    return { code: err.code, message: err.message }
  }
}
async function main() {
  const result = {
    pg: installed('pg'),
    connectRedis: installed('connect-redis'),
    tokensEntry: typeof openTokenProvider,
    sqlite: await attempt({}),
    postgres: await attempt({ database: 'postgres://127.0.0.1:1/authdock' }),
    redisSessions: await attempt({ session: { ...base.session, redis } }),
  }
  process.stdout.write(JSON.stringify(result))
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
`
