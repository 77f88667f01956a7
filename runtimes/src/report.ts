// The contract between the Node test process and the script bundled for each runtime: what goes
// in (a JWKS URL and tokens signed in Node) and the JSON that comes back. Types only, so both
// sides import it without pulling anything into the bundle.

/** The algorithms a valid token is signed with: one per key family the core supports. */
export const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const
export type Algorithm = (typeof ALGORITHMS)[number]

export interface CheckInput {
  issuer: string
  audience: string
  /** `http://127.0.0.1:PORT/jwks`, served by the test process. */
  jwksUrl: string
  /** One valid access token per algorithm. */
  valid: Record<Algorithm, string>
  /** The valid tokens with one bit of their signature flipped. */
  tampered: Record<Algorithm, string>
  /** Tokens the verifier must refuse before any signature is checked, or for their claims. */
  refused: {
    /** `alg: none` with a signature segment: refused for its algorithm. */
    algNone: string
    /** `alg: none` as attackers send it, with an empty signature: refused as malformed. */
    algNoneUnsigned: string
    /** Correctly signed, for another audience. */
    wrongAudience: string
    /** Correctly signed by a key the JWKS does not hold. */
    unknownKid: string
  }
}

/**
 * Which code verified a signature, told by counting calls to `node:crypto`'s `verify` and to
 * `crypto.subtle.verify` around one `verify(token)`: `none` means neither ran (refused earlier).
 */
export type SignaturePath = 'node:crypto' | 'webcrypto' | 'none' | 'both'

export interface Outcome {
  /** The verified claims, or the `AuthError` code of the refusal. */
  sub?: string
  iss?: string
  aud?: string | string[]
  code?: string
  /** The HTTP status the core maps the refusal to. */
  status?: number
  path: SignaturePath
}

export interface RuntimeReport {
  /** `bun`, `deno` or `workerd`: where the script really ran. */
  runtime: string
  version: string
  /** What `process.getBuiltinModule` lends here, probed as the core probes it. */
  lent: {
    getBuiltinModule: boolean
    cryptoVerify: boolean
    keyObjectFrom: boolean
  }
  valid: Record<Algorithm, Outcome>
  tampered: Record<Algorithm, Outcome>
  refused: Record<keyof CheckInput['refused'], Outcome>
  /** `extractBearerToken` on a request without `Authorization`, answered by `authErrorResponse`. */
  missingToken: {
    code?: string
    status: number
    wwwAuthenticate: string | null
    body: unknown
  }
}
