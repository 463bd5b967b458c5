/**
 * TLS for the example's SMTP sink: a development CA made at each start (kept in memory only) and a
 * certificate from it for 127.0.0.1 and localhost. The example trusts that CA next to the public
 * ones, exactly as a host trusts the private CA of an internal mail server, so the token goes over
 * verified STARTTLS here too and no switch that allows cleartext is needed.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { rootCertificates } from 'node:tls'
import forge from 'node-forge'

export interface DevTls {
  /** The dev CA certificate (PEM). */
  caCert: string
  /** Node's public CAs plus the dev CA: for `tls.ca` of mail connections. */
  trusted: string[]
  /** The sink's certificate and key (PEM). */
  cert: string
  key: string
}

function keys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    privatePem: privateKey,
  }
}

function certificate(publicKey: forge.pki.PublicKey, subject: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + days * 24 * 60 * 60_000)
  cert.setSubject([{ name: 'commonName', value: subject }])
  return cert
}

/** Make the dev CA and the sink's certificate (a fraction of a second). */
export function createDevTls(): DevTls {
  const ca = keys()
  const caCert = certificate(ca.publicKey, 'authdock example dev CA', 30)
  caCert.setIssuer(caCert.subject.attributes)
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ])
  caCert.sign(ca.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create())

  const server = keys()
  const cert = certificate(server.publicKey, 'localhost', 30)
  cert.setIssuer(caCert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    // 2 = DNS name, 7 = IP address
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ])
  cert.sign(ca.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create())

  const caPem = forge.pki.certificateToPem(caCert)
  return {
    caCert: caPem,
    trusted: [...rootCertificates, caPem],
    cert: forge.pki.certificateToPem(cert),
    key: server.privatePem,
  }
}
