// The assertions every runtime must pass, written once: each runtime's test file runs the checks
// in its runtime and states only what differs there (its name, version and signature path).
import { expect, it } from 'vitest'
import { AUDIENCE, ISSUER, subjectOf } from '../src/fixtures.js'
import { ALGORITHMS, type Algorithm, type RuntimeReport, type SignaturePath } from '../src/report.js'

export interface Expected {
  runtime: 'bun' | 'deno' | 'workerd'
  /** The runtime's version as it reports it ('' for workerd, which reports none). */
  version: string
  /** Whether `process.getBuiltinModule('node:crypto')` gives `verify` and `KeyObject.from` there. */
  lendsNodeCrypto: boolean
  /** The path signature checks take there. */
  path: SignaturePath
  /** Algorithms whose checks take another path there, and which (see README.md). */
  pathFor?: Partial<Record<Algorithm, SignaturePath>>
}

function pathOf(expected: Expected, alg: Algorithm): SignaturePath {
  return expected.pathFor?.[alg] ?? expected.path
}

/** The bundle holds the core's default entry and jose's Web Crypto build, and no Node module. */
export function expectPortableBundle(inputs: readonly string[]): void {
  expect(inputs.filter((input) => input.startsWith('node:'))).toEqual([])
  expect(inputs.filter((input) => input.includes('/core/src/node'))).toEqual([])
  expect(inputs).toContain('../packages/core/src/index.ts')
  expect(inputs).toContain('../packages/core/src/keys/signature-check.ts')
  expect(inputs.some((input) => /\/jose\/dist\/webapi\/index\.js$/.test(input))).toBe(true)
}

/** Declares the tests of one report; `report` is read when they run (after beforeAll). */
export function itChecksTokens(report: () => RuntimeReport, expected: Expected): void {
  it(`ran in ${expected.runtime} ${expected.version}`.trim(), () => {
    expect({ runtime: report().runtime, version: report().version }).toEqual({
      runtime: expected.runtime,
      version: expected.version,
    })
  })

  for (const alg of ALGORITHMS) {
    const claims = { sub: subjectOf(alg), iss: ISSUER, aud: AUDIENCE }
    it(`verifies a valid ${alg} access token against the remote JWKS (${pathOf(expected, alg)})`, () => {
      expect(report().valid[alg]).toEqual({ ...claims, path: pathOf(expected, alg) })
    })
  }

  it('refuses each token whose signature was tampered with', () => {
    for (const alg of ALGORITHMS) {
      // The signature was checked, on the same path, and found wrong.
      expect(report().tampered[alg], alg).toEqual({
        code: 'ERR_JWT_SIGNATURE_INVALID',
        status: 401,
        path: pathOf(expected, alg),
      })
    }
  })

  it('refuses alg none (signed or not), a wrong audience and an unknown kid', () => {
    const { refused } = report()
    // Refused from the header alone: no signature is ever checked.
    expect(refused.algNone).toEqual({ code: 'ERR_JWT_ALG_NOT_ALLOWED', status: 401, path: 'none' })
    // An empty signature segment is not a JWS at all, before its algorithm is read.
    expect(refused.algNoneUnsigned).toEqual({ code: 'ERR_JWT_MALFORMED', status: 401, path: 'none' })
    // Claims are read only once the signature holds: the check ran.
    expect(refused.wrongAudience).toEqual({
      code: 'ERR_JWT_AUDIENCE_INVALID',
      status: 401,
      path: pathOf(expected, 'RS256'),
    })
    expect(refused.unknownKid).toEqual({ code: 'ERR_JWKS_NO_MATCHING_KEY', status: 401, path: 'none' })
  })

  it(`lends ${expected.lendsNodeCrypto ? '' : 'no '}node:crypto through process.getBuiltinModule`, () => {
    const lends = expected.lendsNodeCrypto
    expect(report().lent).toEqual({ getBuiltinModule: lends, cryptoVerify: lends, keyObjectFrom: lends })
  })

  it('answers a request without a token with 401 and a bare Bearer challenge', () => {
    expect(report().missingToken).toEqual({
      code: 'ERR_BEARER_MISSING',
      status: 401,
      wwwAuthenticate: 'Bearer',
      body: { error: 'unauthorized', error_description: 'A bearer token is required' },
    })
  })
}
