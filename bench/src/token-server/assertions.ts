/**
 * `private_key_jwt` client assertions (RFC 7523 §3) made ahead of a load slice: each request needs
 * its own (the `jti` is single-use), and autocannon takes bodies synchronously. EdDSA with
 * node:crypto's one-shot `sign`, about 30 µs each, in the load generator's process.
 */
import { type KeyObject, randomUUID, sign } from 'node:crypto'

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url')

export function assertionBodies(
  count: number,
  client: { clientId: string; privateKey: KeyObject; kid: string },
  audience: string,
): string[] {
  const header = b64(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: client.kid }))
  const now = Math.floor(Date.now() / 1000)
  const bodies: string[] = []
  for (let i = 0; i < count; i++) {
    const payload = b64(
      JSON.stringify({
        iss: client.clientId,
        sub: client.clientId,
        aud: audience,
        jti: randomUUID(),
        iat: now,
        exp: now + 240,
      }),
    )
    const input = `${header}.${payload}`
    const signature = b64(sign(null, Buffer.from(input), client.privateKey))
    bodies.push(
      // The body openid-client (oauth4webapi's PrivateKeyJwt) sends: client_id beside the assertion.
      new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'read',
        client_id: client.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: `${input}.${signature}`,
      }).toString(),
    )
  }
  return bodies
}
