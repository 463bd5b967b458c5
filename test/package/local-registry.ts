/**
 * A read-only npm registry on 127.0.0.1 that knows exactly the packages of this project's
 * package-lock.json and serves their tarballs out of npm's own cache, so a test can run a real
 * `npm install` for a fresh host folder without any network.
 *
 * Why not `npm install --offline`: that needs each package's registry document (the version list
 * npm resolves ranges against), and `npm ci` caches only tarballs, never those documents. Here the
 * documents are built from the lock file (every version the project installed, with its
 * dependencies, peers, engines and integrity), so npm resolves a host's ranges against the same
 * versions the project's own tests ran with, and checks every tarball against the lock's integrity.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'

interface LockEntry {
  name?: string
  version?: string
  integrity?: string
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, unknown>
  engines?: Record<string, string>
  os?: string[]
  cpu?: string[]
  libc?: string[]
  bin?: Record<string, string>
  hasInstallScript?: boolean
  license?: string
}

export interface LocalRegistry {
  /** Registry URL for `npm --registry`. */
  url: string
  /** Tarballs requested but absent from npm's cache (`npm ci` fills it). */
  missing: string[]
  close(): Promise<void>
}

/** Where cacache keeps a tarball with this integrity (content-addressed by its digest). */
function cachedTarball(cacheDir: string, integrity: string): string {
  const [algorithm, base64] = integrity.split(' ')[0].split(/-(.*)/s)
  const hex = Buffer.from(base64, 'base64').toString('hex')
  return join(cacheDir, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4))
}

function nameOf(path: string, entry: LockEntry): string {
  // Aliases (npm:express@4 installed as node_modules/express4) carry their real name.
  return entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
}

function newest(versions: string[]): string {
  const parts = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p))
  return versions.slice().sort((a, b) => {
    const [pa, pb] = [parts(a), parts(b)]
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      if (pa[i] === pb[i]) continue
      if (typeof pa[i] === 'number' && typeof pb[i] === 'number') return (pa[i] as number) - (pb[i] as number)
      return String(pa[i] ?? '').localeCompare(String(pb[i] ?? ''))
    }
    return 0
  })[versions.length - 1]
}

export async function startLocalRegistry(lockFile: string, cacheDir = join(homedir(), '.npm')): Promise<LocalRegistry> {
  const lock = JSON.parse(await readFile(lockFile, 'utf8')) as { packages: Record<string, LockEntry> }
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

  const byName = new Map<string, Map<string, LockEntry>>()
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.link || !entry.version || !entry.integrity) continue
    const name = nameOf(path, entry)
    if (!byName.has(name)) byName.set(name, new Map())
    byName.get(name)!.set(entry.version, entry)
  }

  const tarballs = new Map<string, string>()
  const documents = new Map<string, string>()
  for (const [name, versions] of byName) {
    const doc = { name, 'dist-tags': { latest: newest([...versions.keys()]) }, versions: {} as Record<string, unknown> }
    for (const [version, e] of versions) {
      const file = `${name.replace('/', '__')}-${version}.tgz`
      tarballs.set(file, e.integrity!)
      doc.versions[version] = {
        name,
        version,
        dependencies: e.dependencies,
        optionalDependencies: e.optionalDependencies,
        peerDependencies: e.peerDependencies,
        peerDependenciesMeta: e.peerDependenciesMeta,
        engines: e.engines,
        os: e.os,
        cpu: e.cpu,
        libc: e.libc,
        bin: e.bin,
        hasInstallScript: e.hasInstallScript,
        license: e.license,
        dist: { tarball: `${url}-/${file}`, integrity: e.integrity },
      }
    }
    documents.set(name, JSON.stringify(doc))
  }

  const missing: string[] = []
  server.on('request', (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]).slice(1)
    const send = (status: number, body: string | Buffer, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    if (path.startsWith('-/')) {
      const integrity = tarballs.get(path.slice(2))
      const file = integrity && cachedTarball(cacheDir, integrity)
      if (!file || !existsSync(file)) {
        missing.push(path.slice(2))
        return send(404, JSON.stringify({ error: 'not in npm cache (run npm ci first)' }))
      }
      readFile(file).then(
        (body) => send(200, body, 'application/octet-stream'),
        (err: unknown) => send(500, JSON.stringify({ error: String(err) })),
      )
      return
    }
    const doc = documents.get(path)
    if (doc) return send(200, doc)
    send(404, JSON.stringify({ error: 'not found' }))
  })

  return {
    url,
    missing,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
