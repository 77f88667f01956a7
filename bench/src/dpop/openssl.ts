/**
 * The floor of a signature check on this machine: `openssl speed` for RSA-2048 (RS256) and P-256
 * (ES256) verification, in µs per verify. A verifier can only add work on top of it (parsing,
 * claims, the framework); the DPoP goal compares with this figure.
 */
import { spawnSync } from 'node:child_process'

export interface OpensslFloor {
  version: string
  /** µs per RSA-2048 verify. */
  rsa2048: number
  /** µs per ECDSA P-256 verify. */
  p256: number
}

function verifyMicros(output: string, row: RegExp, name: string): number {
  const match = row.exec(output)
  const perSecond = match === null ? Number.NaN : Number(match[1])
  if (!(perSecond > 0)) throw new Error(`openssl speed printed no ${name} verify/s`)
  return 1e6 / perSecond
}

export function opensslVerifyMicros(seconds = 2): OpensslFloor {
  const run = spawnSync('openssl', ['speed', '-seconds', String(seconds), 'rsa2048', 'ecdsap256'], {
    encoding: 'utf8',
  })
  if (run.status !== 0) throw new Error(`openssl speed failed: ${run.stderr.slice(0, 200)}`)
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim().split(' ')[1] ?? '?'
  return {
    version,
    // "rsa 2048 bits 0.000250s 0.000016s   4000.0  61880.0": the last column is verify/s.
    rsa2048: verifyMicros(run.stdout, /rsa 2048 bits\s+\S+\s+\S+\s+[\d.]+\s+([\d.]+)/, 'RSA-2048'),
    p256: verifyMicros(run.stdout, /256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+[\d.]+\s+([\d.]+)/, 'P-256'),
  }
}
