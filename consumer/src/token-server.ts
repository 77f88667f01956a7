/**
 * `@org/auth-server/node` as installed: a token server program in the generated project, compiled
 * by the project's own build and run with `node`. The ESM program is the server README's Node
 * quickstart (`## Token server`, its first ```ts block, which has no `<!-- consumer: -->` marker)
 * with the issuer and port replaced, plus a seeded client printed as one JSON line; the CommonJS
 * one (`.cts`, `require` condition: `dist/node.cjs` and `dist/node.d.cts`) is written here, the
 * README having no CommonJS example.
 */
import { log } from './log.js'
import type { Project } from './project.js'
import { sectionBlock, substitute } from './readme.js'

/** The seeded client's only audience and scope. */
export const TOKEN_AUDIENCE = 'https://api.example.com'
export const TOKEN_SCOPE = 'read'

export interface SeededClient {
  clientId: string
  clientSecret: string
}

/** The line a token server prints once it has its client: `{"clientId":…,"clientSecret":…}`. */
export const SEEDED_CLIENT_LINE = /^\{"clientId":.*\}$/m

/** Issuer of a token server on `port`: plain http is allowed on the loopback. */
export function tokenIssuer(port: number): string {
  return `http://127.0.0.1:${port}`
}

/** The client seeded into the README's `clients` registry and printed (not README code). */
const SEED = `
// Added by the consumer check (not README code): a client to test with, printed as one JSON line.
const seeded = await clients.create({
  name: 'worker',
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  scopes: ['${TOKEN_SCOPE}'],
  audiences: ['${TOKEN_AUDIENCE}'],
})
console.log(JSON.stringify({ clientId: seeded.clientId, clientSecret: seeded.clientSecret }))
`

/**
 * Writes the README's Node quickstart to `path` (an ESM `.ts`: it awaits at top level), its
 * placeholders replaced by this run's issuer and port, with the seeded client after it.
 */
export function placeTokenServer(project: Project, path: string, port: number): void {
  const block = sectionBlock('server', '## Token server', path)
  const code = substitute('server', block, [
    { from: "'https://auth.example.com'", to: `'${tokenIssuer(port)}'`, required: true },
    { from: 'listen(8080)', to: `listen(${port})`, required: true },
  ])
  project.write(path, `${code}${SEED}`)
  log(`  README packages/server/README.md:${block.line} → ${path} (+ a seeded client)`)
}

/**
 * Writes a CommonJS token server to `path` (a `.cts`, compiled to `.cjs`): the same quickstart
 * without top-level await, with `import … = require()` as `verbatimModuleSyntax` asks of
 * CommonJS, so both the package's `require` entry and its `.d.cts` types are used.
 */
export function placeCommonJsTokenServer(project: Project, path: string, port: number): void {
  project.write(
    path,
    `// Written by the consumer check (the server README has no CommonJS example): its Node
// quickstart as a CommonJS program, which loads @org/auth-server/node through \`require\`.
import http = require('node:http')
import server = require('@org/auth-server')
import node = require('@org/auth-server/node')

async function main(): Promise<void> {
  const clients = server.createClientRegistry({ store: server.createMemoryClientStore() })
  const tokenServer = node.createNodeTokenServer({
    issuer: '${tokenIssuer(port)}',
    clients,
    keys: server.staticSigningKeys([await server.generateSigningKey('EdDSA')]),
    clientAddress: (req) => req.socket.remoteAddress,
  })
  http.createServer(tokenServer).listen(${port})
  const seeded = await clients.create({
    name: 'worker',
    clientType: 'confidential',
    grantTypes: ['client_credentials'],
    scopes: ['${TOKEN_SCOPE}'],
    audiences: ['${TOKEN_AUDIENCE}'],
  })
  console.log(JSON.stringify({ clientId: seeded.clientId, clientSecret: seeded.clientSecret }))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
`,
  )
}

/** The seeded client from a token server's output. */
export function seededClient(output: string): SeededClient {
  const line = SEEDED_CLIENT_LINE.exec(output)?.[0]
  const parsed = line === undefined ? undefined : (JSON.parse(line) as Partial<SeededClient>)
  if (typeof parsed?.clientId !== 'string' || typeof parsed.clientSecret !== 'string') {
    throw new Error('the token server printed no {"clientId","clientSecret"} line')
  }
  return { clientId: parsed.clientId, clientSecret: parsed.clientSecret }
}
