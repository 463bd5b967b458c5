/**
 * Client credentials: certificates (private key encrypted, bound to its row) and the client
 * authentication method of each owner. At most one certificate per owner is active; a unique
 * partial index holds that even when two instances write at once.
 */
import { randomUUID } from 'node:crypto'
import { AuthdockError } from '../../errors.js'
import type { Keyring } from '../crypto.js'
import { constraintKind, type Db, type Row } from '../db.js'
import { toDate } from '../rows.js'
import { sealer } from '../secrets.js'
import type {
  CertificateRecord,
  ClientAuthMethod,
  CredentialOwner,
  CredentialOwnerKind,
  CredentialsStore,
} from '../credential-types.js'

const PUBLIC_COLUMNS =
  'id, owner_kind, owner_id, certificate, kid, thumbprint_sha1, thumbprint_sha256, key_size, not_before, not_after, active, created_at, created_by, activated_at'

function toCertificate(r: Row): CertificateRecord {
  return {
    id: String(r.id),
    ownerKind: r.owner_kind as CredentialOwnerKind,
    ownerId: String(r.owner_id),
    certificatePem: String(r.certificate),
    thumbprintSha1: String(r.thumbprint_sha1),
    thumbprintSha256: String(r.thumbprint_sha256),
    kid: String(r.kid),
    keySize: Number(r.key_size),
    notBefore: toDate(r.not_before) as Date,
    notAfter: toDate(r.not_after) as Date,
    active: r.active === true || r.active === 1,
    createdAt: toDate(r.created_at) as Date,
    createdBy: r.created_by === null || r.created_by === undefined ? null : String(r.created_by),
    activatedAt: toDate(r.activated_at),
  }
}

function notFound(): AuthdockError {
  return new AuthdockError('NOT_FOUND', 'There is no such certificate. It may have been removed.')
}

export function credentialsRepo(db: Db, keys: Keyring, now: () => number): CredentialsStore {
  const privateKey = sealer(keys, 'credentials', 'private_key')

  /** A credential change of a profile counts as an edit of the profile (see TokenCache.refusal). */
  const touchOwner = async (tx: Db, owner: CredentialOwner, at: number) => {
    if (owner.kind === 'profile') await tx.run('UPDATE profiles SET updated_at = ? WHERE id = ?', [at, owner.id])
  }

  /**
   * A new method of an admin-managed login provider is a new version of that provider: every
   * instance then builds its login configuration again (with or without the certificate). Login
   * providers of the options have no row, so nothing moves for them.
   */
  const touchLoginProvider = async (tx: Db, owner: CredentialOwner, at: number) => {
    if (owner.kind !== 'login-provider') return
    const moved = await tx.run('UPDATE login_providers SET version = version + 1, updated_at = ? WHERE id = ?', [
      at,
      owner.id,
    ])
    if (moved > 0) await tx.run('UPDATE store_versions SET version = version + 1 WHERE name = ?', ['login_providers'])
  }

  return {
    async list(owner) {
      const rows = await db.all(
        `SELECT ${PUBLIC_COLUMNS} FROM credentials WHERE owner_kind = ? AND owner_id = ? ORDER BY created_at DESC, id`,
        [owner.kind, owner.id],
      )
      return rows.map(toCertificate)
    },
    async get(id) {
      const row = await db.get(`SELECT ${PUBLIC_COLUMNS} FROM credentials WHERE id = ?`, [id])
      return row ? toCertificate(row) : null
    },
    async listAll() {
      return (await db.all(`SELECT ${PUBLIC_COLUMNS} FROM credentials ORDER BY not_after, id`)).map(toCertificate)
    },
    async listActive() {
      return (
        await db.all(`SELECT ${PUBLIC_COLUMNS} FROM credentials WHERE active = ? ORDER BY not_after`, [true])
      ).map(toCertificate)
    },
    async add(owner, input) {
      const id = randomUUID()
      const at = now()
      const insert = (active: boolean) =>
        db.get(
          `INSERT INTO credentials (id, owner_kind, owner_id, kind, certificate, private_key, kid, thumbprint_sha1, thumbprint_sha256, key_size,
             not_before, not_after, active, created_at, created_by, activated_at)
           VALUES (?, ?, ?, 'certificate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${PUBLIC_COLUMNS}`,
          [
            id,
            owner.kind,
            owner.id,
            input.certificatePem,
            privateKey.seal(input.privateKeyPem, id),
            input.kid,
            input.thumbprintSha1,
            input.thumbprintSha256,
            input.keySize,
            input.notBefore.getTime(),
            input.notAfter.getTime(),
            active,
            at,
            input.createdBy,
            active ? at : null,
          ],
        )
      const hasActive = await db.get(
        'SELECT 1 AS one FROM credentials WHERE owner_kind = ? AND owner_id = ? AND active = ?',
        [owner.kind, owner.id, true],
      )
      try {
        return toCertificate((await insert(!hasActive))!)
      } catch (error) {
        // Another instance made its first certificate active a moment ago: this one waits.
        if (hasActive || constraintKind(error) !== 'unique') throw error
        return toCertificate((await insert(false))!)
      }
    },
    activate(id) {
      return db.transaction(async (tx) => {
        const row = await tx.get(`SELECT ${PUBLIC_COLUMNS} FROM credentials WHERE id = ?`, [id])
        if (!row) throw notFound()
        const target = toCertificate(row)
        const owner = { kind: target.ownerKind, id: target.ownerId }
        if (target.active) return { certificate: target, previous: null }
        const at = now()
        const before = await tx.get(
          `SELECT ${PUBLIC_COLUMNS} FROM credentials WHERE owner_kind = ? AND owner_id = ? AND active = ?`,
          [owner.kind, owner.id, true],
        )
        // Off first, then on: the unique index is checked per statement.
        await tx.run('UPDATE credentials SET active = ? WHERE owner_kind = ? AND owner_id = ? AND active = ?', [
          false,
          owner.kind,
          owner.id,
          true,
        ])
        const updated = await tx.get(
          `UPDATE credentials SET active = ?, activated_at = ? WHERE id = ? RETURNING ${PUBLIC_COLUMNS}`,
          [true, at, id],
        )
        await touchOwner(tx, owner, at)
        return {
          certificate: toCertificate(updated!),
          previous: before ? { ...toCertificate(before), active: false } : null,
        }
      })
    },
    remove(id) {
      return db.transaction(async (tx) => {
        const row = await tx.get(`SELECT ${PUBLIC_COLUMNS} FROM credentials WHERE id = ?`, [id])
        if (!row) throw notFound()
        const certificate = toCertificate(row)
        if (certificate.active) {
          throw new AuthdockError(
            'CLIENT_CERTIFICATE_ACTIVE',
            'The active certificate cannot be removed: activate another certificate first.',
            {
              details: { certificateId: id, thumbprintSha1: certificate.thumbprintSha1 },
            },
          )
        }
        await tx.run('DELETE FROM credentials WHERE id = ? AND active = ?', [id, false])
        return certificate
      })
    },
    async activeSigner(owner) {
      const row = await db.get(
        `SELECT ${PUBLIC_COLUMNS}, private_key FROM credentials WHERE owner_kind = ? AND owner_id = ? AND active = ?`,
        [owner.kind, owner.id, true],
      )
      if (!row) return null
      return { ...toCertificate(row), privateKeyPem: privateKey.open(row.private_key, String(row.id)) as string }
    },
    async method(owner) {
      const row = await db.get('SELECT method FROM client_auth WHERE owner_kind = ? AND owner_id = ?', [
        owner.kind,
        owner.id,
      ])
      return row?.method === 'private_key_jwt' ? 'private_key_jwt' : 'client_secret'
    },
    async setMethod(owner, method: ClientAuthMethod) {
      await db.transaction(async (tx) => {
        const at = now()
        await tx.run(
          `INSERT INTO client_auth (owner_kind, owner_id, method, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (owner_kind, owner_id) DO UPDATE SET method = excluded.method, updated_at = excluded.updated_at`,
          [owner.kind, owner.id, method, at],
        )
        await touchOwner(tx, owner, at)
        await touchLoginProvider(tx, owner, at)
      })
    },
    deleteOwner(owner) {
      return db.transaction(async (tx) => {
        await tx.run('DELETE FROM client_auth WHERE owner_kind = ? AND owner_id = ?', [owner.kind, owner.id])
        return tx.run('DELETE FROM credentials WHERE owner_kind = ? AND owner_id = ?', [owner.kind, owner.id])
      })
    },
  }
}
