/**
 * Where a token's time goes: each step of our token endpoint timed alone, sequentially, in this
 * process (µs per operation): the secret's HMAC check, the access token's ES256 signature, the
 * assertion's EdDSA verification, and the PostgreSQL round trips (client read, throttle count
 * and reset, replay record). Concurrency hides some database latency under load; the sum still
 * shows which part dominates.
 */
import { randomUUID } from 'node:crypto'
import {
  PostgresClientStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  type Queryable,
} from '@org/auth-postgres'
import { createClientRegistry, createMemoryClientStore } from '@org/auth-server'
import { generateKeyPair, jwtVerify, SignJWT } from 'jose'

export interface Step {
  name: string
  micros: number
}

async function timed(name: string, runs: number, step: (i: number) => Promise<unknown>): Promise<Step> {
  for (let i = 0; i < Math.min(200, runs); i++) await step(i) // warm-up (JIT, connections)
  const start = process.hrtime.bigint()
  for (let i = 0; i < runs; i++) await step(i)
  return { name, micros: Number(process.hrtime.bigint() - start) / 1000 / runs }
}

export async function breakdown(
  db: Queryable,
  schema: string,
  clientId: string,
  runs = 2000,
): Promise<Step[]> {
  const memory = createClientRegistry({ store: createMemoryClientStore() })
  const created = await memory.create({
    name: 'breakdown',
    clientType: 'confidential',
    grantTypes: ['client_credentials'],
    audiences: ['https://api.example.test'],
  })
  const secret = created.clientSecret as string
  const signing = await generateKeyPair('ES256')
  const assertionKey = await generateKeyPair('EdDSA')
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer('c')
    .setSubject('c')
    .setAudience('https://issuer.test')
    .setExpirationTime('4m')
    .sign(assertionKey.privateKey)
  const clients = new PostgresClientStore(db, { schema })
  const limits = new PostgresRateLimitStore(db, { schema })
  const replay = new PostgresOneTimeStore(db, { schema })
  const exp = Math.floor(Date.now() / 1000) + 300
  return [
    await timed('secret check (2 HMAC-SHA-256, memory store)', runs, () =>
      memory.verifySecret(created.clientId, secret),
    ),
    await timed('access token signature (ES256, jose on Web Crypto; ours signs natively)', runs, () =>
      new SignJWT({ client_id: 'c', scope: 'read' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k' })
        .setIssuer('https://issuer.test')
        .setAudience('https://api.example.test')
        .setSubject('c')
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signing.privateKey),
    ),
    await timed('assertion verification (EdDSA, Web Crypto, key imported once)', runs, () =>
      jwtVerify(assertion, assertionKey.publicKey, { audience: 'https://issuer.test' }),
    ),
    await timed('PostgreSQL: client read (once per cacheSeconds with the cache)', runs, () =>
      clients.getWithSecrets(clientId),
    ),
    await timed('PostgreSQL: throttle read (peek, per request with clientAddress)', runs, (i) =>
      limits.peek(`bench:${i % 64}`),
    ),
    await timed('PostgreSQL: throttle count (hit, failures only)', runs, (i) =>
      limits.hit(`bench:${i % 64}`, 300),
    ),
    await timed('PostgreSQL: replay record (jti)', runs, () => replay.consume(randomUUID(), exp)),
  ]
}
