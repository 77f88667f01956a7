// Fixtures of scripts/check-installed.mjs: the consumer it type-checks, the module settings it
// type-checks under, and the dual-package script it runs.

/** One consumer per module setting a user's project has. */
export const PROJECTS = [
  // tsc --init's old default and many Express apps: "module": "commonjs" implies node10 resolution.
  {
    name: 'node10',
    type: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', target: 'es2022' },
  },
  // What `nest new` emits: a CommonJS package with nodenext resolution (require conditions).
  {
    name: 'nodenext-cjs',
    type: 'commonjs',
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2023',
      emitDecoratorMetadata: true,
    },
  },
  {
    name: 'nodenext-esm',
    type: 'module',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  // Next.js, Vite and other bundlers.
  {
    name: 'bundler',
    type: 'module',
    compilerOptions: {
      module: 'esnext',
      moduleResolution: 'bundler',
      target: 'es2022',
      lib: ['es2022', 'dom'],
    },
  },
].map((project) => ({
  ...project,
  compilerOptions: {
    ...project.compilerOptions,
    esModuleInterop: true,
    experimentalDecorators: true,
    // As `nest new`, create-next-app and `tsc --init` set it. (With false, the same consumer passes
    // too, at four times the time: next's, react's and Node's declarations are all checked.) A type
    // that fails to resolve inside a package's declarations would turn into `any` silently here:
    // the consumer's @ts-expect-error probes catch that, one per package.
    skipLibCheck: true,
  },
}))

/** Every entry imported and used with its real types; it compiles unchanged in every setting. */
export const CONSUMER = `
import { AuthError, createTokenVerifier, isAuthError, JWTExpiredError, type AuthContext } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { nodeHandler, RequestTooLargeError } from '@org/auth-core/node'
import { authErrorHandler, requireAuth, requireScopes } from '@org/auth-express'
import '@org/auth-express/globals'
import { type AuthenticatedEnv, requireAuth as honoRequireAuth } from '@org/auth-hono'
import { AuthGuard, AuthModule, CurrentAuth, RequireScopes } from '@org/auth-nest'
import { createNextAuth } from '@org/auth-next'
import { createAuthProxy } from '@org/auth-next/proxy'
import { DelegationStoreFullError, generateTotpSecret } from '@org/auth-server'
import { run as runCli } from '@org/auth-cli'
import { migrate, PostgresDelegationStore, PostgresOneTimeStore, PostgresRateLimitStore, PostgresSessionStore, PostgresStoreError, startCleanup } from '@org/auth-postgres'
import { RedisDelegationStore, RedisOneTimeStore, RedisSessionStore, RedisStoreError } from '@org/auth-redis'
import { Controller, Get, Module, UseGuards } from '@nestjs/common'
import express from 'express'
import { Hono } from 'hono'
import pg from 'pg'
import { createClient } from 'redis'

const verifier = createTokenVerifier({ issuer: 'https://idp.example.com', audience: 'api', discovery: true })

const app = express()
app.get('/api/notes', requireAuth(verifier), requireScopes('read'), (req, res) => {
  // @ts-expect-error: probe: Express's Request gains \`auth\` with the core's AuthContext (token: string)
  const token: number | undefined = req.auth?.token
  res.json({ sub: req.auth?.claims.sub, token })
})
app.use(authErrorHandler({ realm: 'api' }))

const hono = new Hono<AuthenticatedEnv>()
hono.use('/api/*', honoRequireAuth(verifier))
hono.get('/api/me', (c) => {
  // @ts-expect-error: probe: c.var.auth is the core's AuthContext (token: string)
  const token: number = c.var.auth.token
  return c.json({ sub: c.var.auth.claims.sub, token })
})

@Controller()
@UseGuards(AuthGuard)
class NotesController {
  @Get('notes')
  @RequireScopes('read')
  notes(@CurrentAuth() auth: AuthContext) {
    return { sub: auth.claims.sub }
  }
}

@Module({ imports: [AuthModule.forRoot({ verifier })], controllers: [NotesController] })
export class AppModule {}
// @ts-expect-error: probe: the module's options type (realm: string)
AuthModule.forRoot({ verifier, realm: 42 })

const nextAuth = createNextAuth({
  issuer: 'https://idp.example.com',
  clientId: 'app',
  baseUrl: 'https://app.example.com',
  session: { secrets: 'a-secret-read-from-the-environment-in-real-code' },
})
export const { GET, POST } = nextAuth.handlers
export const proxy = createAuthProxy(nextAuth.auth)
// @ts-expect-error: probe: createNextAuth takes the core's AuthOptions (issuer: string)
createNextAuth({ issuer: 42, clientId: 'app', baseUrl: 'https://app.example.com', session: { secrets: 's' } })

export function describe(error: unknown): string {
  if (error instanceof JWTExpiredError) return error.code
  if (error instanceof RequestTooLargeError) return String(error.limit)
  if (error instanceof DelegationStoreFullError) return error.message
  return isAuthError(error) ? error.code : 'not an auth failure'
}
// The stores take a node-redis client as users create it (never connected here: nothing runs).
const redis = createClient({ url: 'redis://127.0.0.1:6379' })
export const sessionStore = new RedisSessionStore(redis, { prefix: 'app:' })
export const stores = [new RedisOneTimeStore(redis), new RedisDelegationStore(redis)]
// @ts-expect-error: probe: the Redis stores' options type (prefix: string)
new RedisOneTimeStore(redis, { prefix: 42 })
export const redisCode: string = new RedisStoreError('read', undefined).code
// The PostgreSQL stores take a pg.Pool as users create it (never connected here: nothing runs).
const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1:5432/app' })
export const pgStores = [
  new PostgresSessionStore(pool, { schema: 'app_auth' }),
  new PostgresOneTimeStore(pool),
  new PostgresDelegationStore(pool),
  new PostgresRateLimitStore(pool),
]
export const migrated: Promise<{ applied: number[] }> = migrate(pool)
export const cleanup: { stop(): Promise<void> } = startCleanup(pool, { intervalMs: 60_000 })
// @ts-expect-error: probe: the PostgreSQL stores' options type (schema: string)
new PostgresOneTimeStore(pool, { schema: 42 })
// @ts-expect-error: probe: migrate() needs a pool or PGlite, not a single pg.Client
migrate(new pg.Client())
export const postgresCode: string = new PostgresStoreError('read', undefined).code
export const handler = nodeHandler(async () => new Response('ok'))
export type Client = DelegationClient
export const secret: Uint8Array = generateTotpSecret()
// @ts-expect-error: probe: the core's declarations are in use (code: string), not \`any\`
export const code: number = new AuthError('ERR_X', 'x', 500).code
// @ts-expect-error: probe: the server's error class extends the core's AuthError (code: string)
export const serverCode: number = new DelegationStoreFullError('full').code
// @ts-expect-error: probe: the node entry's declarations (limit: number)
export const tooLarge = new RequestTooLargeError('1 KiB')
// The CLI as a library (nothing runs here): run(argv, io) resolves to the exit code.
export const cliRun: (argv: readonly string[], io: { stdout(text: string): void; stderr(text: string): void }) => Promise<number> = runCli
// @ts-expect-error: probe: the CLI's declarations are in use (a Promise of the exit code)
export const cliCode: number = runCli([], { stdout() {}, stderr() {} })
`

/** Loads the ESM and the CommonJS build in one process: errors and adapters across the copies. */
export const DUAL_CHECK = `
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const esm = await import('@org/auth-core')
const cjs = require('@org/auth-core')
const check = async (label, body) => {
  await body()
  console.log('ok   dual: ' + label)
}

await check('two copies of the core are loaded (different AuthError classes)', () => {
  assert.notEqual(esm.AuthError, cjs.AuthError)
})
await check('instanceof, isAuthError and name hold across the copies, both ways', () => {
  const make = (core) => [new core.JWTExpiredError(), new core.InsufficientScopeError(['write']), new core.MissingTokenError()]
  for (const [made, other] of [[esm, cjs], [cjs, esm]]) {
    for (const error of make(made)) {
      assert.ok(error instanceof other.AuthError, error.name)
      assert.ok(error instanceof other[error.name], error.name)
      assert.ok(other.isAuthError(error), error.name)
    }
    assert.ok(!(new made.JWTExpiredError() instanceof other.InsufficientScopeError))
  }
})
await check('subpath entries, @org/auth-server, @org/auth-redis and @org/auth-postgres: their errors are AuthErrors of either copy', () => {
  const errors = [
    new (require('@org/auth-core/node').RequestTooLargeError)(1024),
    new (require('@org/auth-core/delegation').DelegationInputError)('ERR_PHONE', 'phoneNumber', 'not E.164'),
    new (require('@org/auth-server').DelegationStoreFullError)('full'),
    new (require('@org/auth-redis').RedisStoreError)('read', undefined),
    new (require('@org/auth-postgres').PostgresStoreError)('read', undefined),
  ]
  for (const error of errors) {
    assert.ok(error instanceof esm.AuthError && esm.isAuthError(error), error.name)
  }
})
await check('Hono: the ESM adapter answers an error of the CommonJS core (and the other way)', async () => {
  const { Hono } = await import('hono')
  const adapters = [[await import('@org/auth-hono'), cjs], [require('@org/auth-hono'), esm]]
  for (const [adapter, core] of adapters) {
    const app = new Hono()
    const verify = async () => { throw new core.JWTExpiredError() }
    app.use('/api/*', adapter.requireAuth({ verify }, { realm: 'api' }))
    app.get('/api/me', (c) => c.text('never'))
    const res = await app.request('/api/me', { headers: { authorization: 'Bearer a.b.c' } })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="api", error="invalid_token"/)
  }
})
await check("Hono: a CommonJS requireScopes after an ESM requireAuth keeps the realm", async () => {
  const { Hono } = await import('hono')
  const app = new Hono()
  const claims = { sub: 'alice', scope: 'read' }
  app.use('/api/*', (await import('@org/auth-hono')).requireAuth({ verify: async () => claims }, { realm: 'api' }))
  app.get('/api/admin', require('@org/auth-hono').requireScopes('admin'), (c) => c.text('never'))
  const res = await app.request('/api/admin', { headers: { authorization: 'Bearer a.b.c' } })
  assert.equal(res.status, 403)
  assert.match(res.headers.get('www-authenticate'), /^Bearer realm="api", error="insufficient_scope"/)
})
await check('Express: the CommonJS error handler answers an error of the ESM core', async () => {
  const express = require('express')
  const app = express()
  app.get('/admin', (_req, _res, next) => next(new esm.InsufficientScopeError(['admin'])))
  app.use(require('@org/auth-express').authErrorHandler({ realm: 'api' }))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const res = await fetch('http://127.0.0.1:' + server.address().port + '/admin')
    assert.equal(res.status, 403)
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="api", error="insufficient_scope"/)
  } finally {
    server.close()
  }
})
`
