/** The PostgreSQL schema, one entry per version. Never edit a released entry: add the next one. */
import type { Migration } from './run.js'

export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        grant_type TEXT NOT NULL,
        authorization_url TEXT,
        token_url TEXT NOT NULL,
        redirect_url TEXT,
        client_id TEXT NOT NULL,
        client_secret TEXT,
        scope TEXT NOT NULL,
        valid BOOLEAN NOT NULL,
        secret_expires_at BIGINT,
        proxy TEXT,
        preset TEXT,
        tenant_id TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE tokens (
        profile_id TEXT PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
        access_token TEXT,
        access_token_expires_at BIGINT,
        refresh_token TEXT,
        token_type TEXT,
        scope TEXT,
        status TEXT NOT NULL DEFAULT 'ok',
        last_refresh_at BIGINT,
        refresh_token_used_at BIGINT,
        last_error_code TEXT,
        last_error_message TEXT,
        last_error_at BIGINT,
        failure_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        authorized_by TEXT,
        authorized_account TEXT,
        authorized_at BIGINT,
        version BIGINT NOT NULL DEFAULT 0
      )`,
      // No foreign key: a lock may be asked for before (or after) the profile exists.
      `CREATE TABLE token_locks (profile_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE TABLE login_tokens (
        device_hash TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        refresh_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      `CREATE INDEX login_tokens_user ON login_tokens (user_id)`,
      `CREATE INDEX login_tokens_expires ON login_tokens (expires_at)`,
      `CREATE TABLE sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE INDEX sessions_expires ON sessions (expires_at)`,
      // No foreign key on profile_id: the audit trail outlives a deleted profile.
      `CREATE TABLE audit (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        profile_id TEXT,
        details JSONB NOT NULL
      )`,
      `CREATE INDEX audit_profile ON audit (profile_id, id)`,
      `CREATE INDEX audit_kind ON audit (kind, id)`,
      `CREATE INDEX audit_at ON audit (at)`,
      `CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE TABLE counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_start BIGINT NOT NULL, window_ms BIGINT NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'attempt counters of rate-limiter-flexible',
    statements: [
      // rate-limiter-flexible's own layout (it inserts by position: key, points, expire). Created
      // here, under the migration lock, so that instances starting together never race to create it.
      `CREATE TABLE rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire BIGINT)`,
      `DROP TABLE counters`,
    ],
  },
  {
    version: 3,
    name: 'login device families and rotated device ids',
    statements: [
      // A device keeps its family id while its cookie id is rotated; each existing row is a family of its own.
      `ALTER TABLE login_tokens ADD COLUMN family_id TEXT`,
      `UPDATE login_tokens SET family_id = device_hash WHERE family_id IS NULL`,
      `CREATE INDEX login_tokens_family ON login_tokens (family_id)`,
      // Replaced device ids, kept until their family would have expired: one presented again is a copy.
      `CREATE TABLE login_token_rotations (
        device_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        rotated_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      `CREATE INDEX login_token_rotations_expires ON login_token_rotations (expires_at)`,
    ],
  },
  {
    version: 4,
    name: 'profile mailbox and revocation URL',
    statements: [
      // The mailbox a profile's token is for (checked against the consenting account), and the
      // provider's RFC 7009 endpoint for "clear tokens".
      `ALTER TABLE profiles ADD COLUMN mailbox TEXT`,
      `ALTER TABLE profiles ADD COLUMN revocation_url TEXT`,
    ],
  },
  {
    version: 5,
    name: 'client credentials: certificates for private_key_jwt and the authentication method per owner',
    statements: [
      // Keyed by owner kind and id (no foreign key): a profile or a login provider, whichever owns it.
      `CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        owner_kind TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        certificate TEXT NOT NULL,
        private_key TEXT NOT NULL,
        kid TEXT NOT NULL,
        thumbprint_sha1 TEXT NOT NULL,
        thumbprint_sha256 TEXT NOT NULL,
        key_size INTEGER NOT NULL,
        not_before BIGINT NOT NULL,
        not_after BIGINT NOT NULL,
        active BOOLEAN NOT NULL DEFAULT false,
        created_at BIGINT NOT NULL,
        created_by TEXT,
        activated_at BIGINT
      )`,
      `CREATE INDEX credentials_owner ON credentials (owner_kind, owner_id)`,
      // At most one active certificate per owner, whatever instances do at the same time.
      `CREATE UNIQUE INDEX credentials_one_active ON credentials (owner_kind, owner_id) WHERE active`,
      `CREATE TABLE client_auth (
        owner_kind TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        method TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (owner_kind, owner_id)
      )`,
    ],
  },
  {
    version: 6,
    name: 'login providers managed in the admin',
    statements: [
      `CREATE TABLE login_providers (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        active BOOLEAN NOT NULL,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        client_secret TEXT,
        secret_expires_at BIGINT,
        scope TEXT NOT NULL,
        claim TEXT NOT NULL,
        claim_label TEXT NOT NULL,
        authorization_params TEXT NOT NULL,
        id_token_algorithms TEXT,
        preset TEXT,
        tenant_id TEXT,
        version BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      // One counter per kind of record that instances cache: a change bumps it in the same transaction.
      `CREATE TABLE store_versions (name TEXT PRIMARY KEY, version BIGINT NOT NULL)`,
      `INSERT INTO store_versions (name, version) VALUES ('login_providers', 0)`,
    ],
  },
  {
    version: 7,
    name: 'indexes for large overviews and audit trails',
    statements: [
      // The overview pages by name (ORDER BY lower(name), name with LIMIT/OFFSET), filters by the
      // secret's expiry and by token status; the audit page filters by profile and kind together.
      `CREATE INDEX profiles_name_order ON profiles (lower(name), name)`,
      `CREATE INDEX profiles_secret_expires ON profiles (secret_expires_at)`,
      `CREATE INDEX tokens_status ON tokens (status)`,
      `CREATE INDEX audit_profile_kind ON audit (profile_id, kind, id)`,
    ],
  },
]
