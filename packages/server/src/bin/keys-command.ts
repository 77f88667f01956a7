/**
 * `org-auth-keys generate`: key pairs for the MFA delegation protocol, as PEM files (PKCS#8
 * private, SPKI public) and as the environment variable lines each side configures.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { occupied, writeKeyFile } from './key-file.js'

export const USAGE = `Usage: org-auth-keys generate [--ed25519] [--x25519] [--role sp|idp|both] [--out <dir>] [--force]

Generates delegation key pairs and prints the environment variable lines for each side.
  --ed25519    signing key pair(s)       (default: both kinds when neither flag is given)
  --x25519     encryption key pair(s)
  --role       whose keys: the service provider (sp), the identity provider (idp) or both (default)
  --out <dir>  also write PEM files there (private keys with mode 0600)
  --force      overwrite existing files in --out`

type Kind = 'ed25519' | 'x25519'
type Role = 'sp' | 'idp'

export interface GeneratedKey {
  role: Role
  kind: Kind
  privatePem: string
  publicPem: string
  /** RFC 7638 thumbprint: the `kid` the protocol uses for this key. */
  kid: string
}

export interface CommandIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

interface Parsed {
  kinds: Kind[]
  roles: Role[]
  out: string | undefined
  force: boolean
}

function parse(args: readonly string[]): Parsed | string {
  if (args[0] !== 'generate') return USAGE
  const kinds: Kind[] = []
  let roles: Role[] = ['sp', 'idp']
  let out: string | undefined
  let force = false
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--ed25519' || arg === '--x25519') kinds.push(arg.slice(2) as Kind)
    else if (arg === '--force') force = true
    else if (arg === '--out' && args[i + 1] !== undefined) out = args[++i]
    else if (arg === '--role' && ['sp', 'idp', 'both'].includes(args[i + 1] ?? '')) {
      const role = args[++i] as Role | 'both'
      roles = role === 'both' ? ['sp', 'idp'] : [role]
    } else return `Unknown or incomplete option "${arg}"\n\n${USAGE}`
  }
  return { kinds: kinds.length === 0 ? ['ed25519', 'x25519'] : [...new Set(kinds)], roles, out, force }
}

/** One key pair, with the thumbprint computed from its JWK (members in RFC 7638 order). */
export function generateKey(role: Role, kind: Kind): GeneratedKey {
  // The overloads of generateKeyPairSync are per literal type; both kinds share these encodings.
  const { privateKey, publicKey } = generateKeyPairSync(kind as 'ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  const der = Buffer.from(publicKey.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')
  const x = der.subarray(der.length - 32).toString('base64url')
  const crv = kind === 'ed25519' ? 'Ed25519' : 'X25519'
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv, kty: 'OKP', x }))
    .digest('base64url')
  return { role, kind, privatePem: privateKey, publicPem: publicKey, kid }
}

const envName = (role: Role, kind: Kind, half: 'PRIVATE' | 'PUBLIC') =>
  `${role.toUpperCase()}_${kind.toUpperCase()}_${half}_KEY_PEM`

/** `NAME="-----BEGIN…\n…"`: one line, newlines as `\n` (dotenv expands them; the key loaders accept them). */
const envLine = (name: string, pem: string) => `${name}="${pem.trim().replace(/\n/g, '\\n')}"`

/** The lines each side puts in its environment: its own private keys, the peer's public keys. */
export function envLines(keys: readonly GeneratedKey[]): string {
  const blocks: string[] = []
  for (const side of ['sp', 'idp'] as const) {
    const own = keys.filter((key) => key.role === side)
    const peer = keys.filter((key) => key.role !== side)
    if (own.length === 0) continue
    const lines = [
      `# ${side === 'sp' ? 'Service provider (your app)' : 'Identity provider'}: keep private keys secret`,
    ]
    for (const key of own)
      lines.push(`# kid ${key.kid}`, envLine(envName(key.role, key.kind, 'PRIVATE'), key.privatePem))
    for (const key of peer) lines.push(envLine(envName(key.role, key.kind, 'PUBLIC'), key.publicPem))
    blocks.push(lines.join('\n'))
  }
  // Public keys of a single role go to the peer, which this run did not generate keys for.
  if (new Set(keys.map((key) => key.role)).size === 1) {
    const lines = ['# Give these to the peer: public keys only']
    for (const key of keys) lines.push(envLine(envName(key.role, key.kind, 'PUBLIC'), key.publicPem))
    blocks.push(lines.join('\n'))
  }
  return `${blocks.join('\n\n')}\n`
}

function writeKeys(keys: readonly GeneratedKey[], dir: string, force: boolean): string[] {
  mkdirSync(dir, { recursive: true })
  const files: [string, string, number][] = keys.flatMap((key): [string, string, number][] => [
    [join(dir, `${key.role}-${key.kind}-private.pem`), key.privatePem, 0o600],
    [join(dir, `${key.role}-${key.kind}-public.pem`), key.publicPem, 0o644],
  ])
  // lstat, not exists: a dangling symlink is something at the path too.
  const existing = files.filter(([path]) => occupied(path))
  if (existing.length > 0 && !force) {
    throw new Error(`${existing.map(([path]) => path).join(', ')} already exist; pass --force to overwrite`)
  }
  for (const [path, pem, mode] of files) writeKeyFile(path, pem, mode, force)
  return files.map(([path]) => path)
}

/** Runs the command; returns the exit code. Private keys go to stdout (or files), never to stderr. */
export function runKeysCommand(args: readonly string[], io: CommandIo): number {
  const parsed = parse(args)
  if (typeof parsed === 'string') {
    io.stderr(`${parsed}\n`)
    return args[0] === '--help' || args[0] === '-h' ? 0 : 2
  }
  const keys = parsed.roles.flatMap((role) => parsed.kinds.map((kind) => generateKey(role, kind)))
  if (parsed.out !== undefined) {
    try {
      const written = writeKeys(keys, parsed.out, parsed.force)
      io.stderr(`Wrote ${written.length} PEM files to ${parsed.out}\n`)
    } catch (error) {
      io.stderr(`${(error as Error).message}\n`)
      return 1
    }
  }
  io.stdout(envLines(keys))
  return 0
}
