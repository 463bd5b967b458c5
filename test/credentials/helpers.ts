/**
 * Shared steps of the certificate tests: a real oidc-provider that records every client assertion
 * it has verified (its `assertJwtClientAuthClaimsAndHeader` hook runs only after the signature
 * check against the client's JWKS passed), clients registered with the JWKS authdock generated,
 * and the credentials JSON API driven as an admin.
 */
import type { ClientMetadata } from 'oidc-provider'
import type { Response } from 'supertest'
import type { JWK } from 'jose'
import {
  startOidcProvider,
  type OidcProviderFixture,
  type OidcProviderFixtureOptions,
} from '../fixtures/oidc-provider.js'
import { ADMIN, type ProfilesApp } from '../profiles/helpers.js'

/** A client assertion the provider accepted: its header and claims, as the provider saw them. */
export interface VerifiedAssertion {
  clientId: string
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

export interface CertificateOp extends OidcProviderFixture {
  verified: VerifiedAssertion[]
}

export async function startCertificateOp(options: Partial<OidcProviderFixtureOptions> = {}): Promise<CertificateOp> {
  const verified: VerifiedAssertion[] = []
  const op = await startOidcProvider({
    clients: [],
    ...options,
    configuration: {
      ...options.configuration,
      assertJwtClientAuthClaimsAndHeader: async (_ctx, claims, header, client) => {
        verified.push({
          clientId: client.clientId,
          header: header as Record<string, unknown>,
          claims: claims as Record<string, unknown>,
        })
      },
    },
  })
  return Object.assign(op, { verified })
}

/**
 * Register (or update) a client that authenticates with `private_key_jwt` and knows exactly these
 * keys. oidc-provider reads clients it has no static entry for from its adapter, and builds a new
 * client whenever the stored metadata changes.
 */
export async function registerCertificateClient(
  op: OidcProviderFixture,
  metadata: Partial<ClientMetadata> & { client_id: string },
  keys: JWK[],
): Promise<void> {
  // The Client model's adapter is there at runtime but missing from @types/oidc-provider.
  const clients = (op.provider.Client as unknown as { adapter: { upsert(id: string, payload: object): Promise<void> } })
    .adapter
  await clients.upsert(metadata.client_id, {
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    ...metadata,
    jwks: { keys },
  } as never)
}

/** The JSON credentials API as the profiles test host's admin. */
export class CredentialsApi {
  private csrf?: string
  constructor(private readonly app: ProfilesApp) {}

  get base(): string {
    return this.app.dock.config.paths.credentialsApi
  }

  private async token(): Promise<string> {
    this.csrf ??= (await this.app.agent.get(`${this.base}/csrf`).set(ADMIN)).body.csrfToken as string
    return this.csrf
  }

  async owner(kind: string, id: string): Promise<Response> {
    return this.app.agent.get(`${this.base}/${kind}/${id}`).set(ADMIN)
  }

  // The token first: the agent attaches its cookies when a request is created, and the first
  // token request is what creates the session.
  async generate(kind: string, id: string, body: Record<string, unknown> = {}): Promise<Response> {
    const csrf = await this.token()
    return this.app.agent
      .post(`${this.base}/${kind}/${id}/certificates`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
      .send(body)
  }

  async activate(kind: string, id: string, certificateId: string): Promise<Response> {
    const csrf = await this.token()
    return this.app.agent
      .post(`${this.base}/${kind}/${id}/certificates/${certificateId}/activate`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
  }

  async remove(kind: string, id: string, certificateId: string): Promise<Response> {
    const csrf = await this.token()
    return this.app.agent
      .delete(`${this.base}/${kind}/${id}/certificates/${certificateId}`)
      .set(ADMIN)
      .set('x-csrf-token', csrf)
  }

  async setMethod(kind: string, id: string, method: string): Promise<Response> {
    const csrf = await this.token()
    return this.app.agent.put(`${this.base}/${kind}/${id}/method`).set(ADMIN).set('x-csrf-token', csrf).send({ method })
  }

  /** Generate a certificate and return its JSON (fails the test on any other answer). */
  async newCertificate(kind: string, id: string, body: Record<string, unknown> = {}): Promise<CertificateJson> {
    const res = await this.generate(kind, id, body)
    if (res.status !== 201) throw new Error(`generate answered ${res.status}: ${JSON.stringify(res.body)}`)
    return res.body.certificate as CertificateJson
  }

  async mustActivate(kind: string, id: string, certificateId: string): Promise<void> {
    const res = await this.activate(kind, id, certificateId)
    if (res.status !== 200) throw new Error(`activate answered ${res.status}: ${JSON.stringify(res.body)}`)
  }
}

/** The API's certificate shape. */
export interface CertificateJson {
  id: string
  state: 'active' | 'waiting' | 'expired'
  active: boolean
  thumbprintSha1: string
  thumbprintSha256: string
  kid: string
  keySize: number
  notBefore: string
  notAfter: string
  certificatePem: string
  jwk: JWK
  downloads: { cer: string; pem: string }
}
