/**
 * fast-check arbitraries for hostile input, shared by the property tests of every package, and
 * the checks those tests make on what comes out: a typed error with a stable code, never a 5xx,
 * never the input echoed.
 */
import fc from 'fast-check'

/**
 * The tag every `AuthError` carries (`Symbol.for`, so it survives duplicate installs): checked
 * here as a client would, without importing the package under test.
 */
const AUTH_ERROR = Symbol.for('@org/auth-core/AuthError')

/** What the checks read of an `AuthError`; pass the real class as the type argument to get it back. */
export interface ClientError extends Error {
  readonly code: string
  readonly status: number
  readonly oauthError?: string | undefined
}
function isAuthError(value: unknown): value is ClientError {
  return (
    typeof value === 'object' && value !== null && (value as { [AUTH_ERROR]?: unknown })[AUTH_ERROR] === true
  )
}

/** Runs per property: enough to hit the edge cases below, small enough for two cores. */
export const RUNS = { fast: 300, io: 60, slow: 25 } as const

/**
 * A distinctive secret-like value: long enough that finding it in an answer means it was copied
 * there, not that a message happened to contain the same letters.
 */
export const canary = fc.stringMatching(/^[A-Za-z0-9]{20,28}$/).map((value) => `Cx${value}`)

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Characters at the edges of base64 alphabets and of the b64token grammar. */
const ALPHABET_EDGES = ['+', '/', '=', '-', '_', '.', '~', '%', ' ', '\t', '\u00e9', '\u2028', '\ud83d\ude00']

/** A base64url segment of any length, including the 4n + 1 lengths no decoder agrees on. */
export const b64urlSegment = fc
  .array(fc.constantFrom(...B64URL), { minLength: 0, maxLength: 40 })
  .map((chars) => chars.join(''))

/** Text biased towards base64 alphabet edges: mixed alphabets, padding, stray dots, unicode. */
export const b64ish = fc
  .array(fc.oneof(fc.constantFrom(...B64URL), fc.constantFrom(...ALPHABET_EDGES)), { maxLength: 40 })
  .map((chars) => chars.join(''))

/** Encodes text as unpadded base64url. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

/** JSON values with what parsers trip over: huge and negative numbers, deep nesting, odd keys. */
export const oddJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      1e308,
      -1e308,
      2 ** 53 + 1,
      Number.MAX_SAFE_INTEGER,
      0.5,
      '',
      'none',
      'None',
      'RS256',
      'HS256',
      'Bearer',
      '__proto__',
      'constructor',
    ),
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString')),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value

/** A JSON text with a key repeated (JSON.parse keeps the last), which `JSON.stringify` never writes. */
export const duplicateKeyJson = fc
  .tuple(fc.string({ maxLength: 8 }), oddJson, oddJson, fc.dictionary(fc.string({ maxLength: 8 }), oddJson))
  .map(([key, first, second, rest]) => {
    const inner = JSON.stringify(rest).slice(1, -1)
    const pair = (value: unknown) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`
    return `{${pair(first)},${inner}${inner === '' ? '' : ','}${pair(second)}}`
  })

/** A JSON text nested `depth` levels: parsers recurse, and a deep one must not blow the stack. */
export const deepJson = fc
  .integer({ min: 100, max: 3000 })
  .map((depth) => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`)

/**
 * A value a header can carry through the Fetch `Headers` API: ByteString characters without NUL,
 * CR or LF (anything else is refused before it reaches the code under test).
 */
export const headerValue = fc
  .string({
    unit: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.constantFrom('\t', '\u00a0', '\u00ff', '\u0080', '\u0001', '\u007f') },
    ),
    maxLength: 60,
  })
  .map((value) => value.trim())

/** Whether Node's HTTP client will send `value` in a header (Latin-1, no control but tab). */
export function sendableByNode(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value)
}

/** An `Authorization` value: mostly almost-Bearer, sometimes anything a header can hold. */
export const authorizationValue = fc.oneof(
  headerValue,
  fc
    .tuple(
      fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer:', 'Bearerx', 'DPoP', ''),
      fc.constantFrom(' ', '  ', '\t', '', ' \t'),
      fc.oneof(b64ish, headerValue, b64urlSegment),
    )
    .map(([scheme, space, token]) => `${scheme}${space}${token}`.trim()),
  fc.tuple(b64urlSegment, b64urlSegment, b64urlSegment).map(([h, p, s]) => `Bearer ${h}.${p}.${s}`),
)

/** A cookie name: mostly the session and transaction names the login code looks for, or near them. */
export function cookieName(base: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      base,
      `__Host-${base}`,
      `${base}.txn.`,
      `${base}.0`,
      `${base}.1`,
      `${base}.3`,
      `${base}.x`,
    ),
    fc.integer({ min: 0, max: 9 }).map((index) => `${base}.${index}`),
    b64urlSegment.map((state) => `${base}.txn.${state}`),
    headerValue.filter((value) => !/[;=]/.test(value)),
  )
}

/** A cookie value: JWE-shaped (five segments), base64url, quoted, or any header text. */
export const cookieValue = fc.oneof(
  fc.array(b64urlSegment, { minLength: 5, maxLength: 5 }).map((parts) => parts.join('.')),
  fc
    .tuple(b64urlSegment, b64urlSegment)
    .map(([a, b]) => `eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.${a}..${b}.`),
  b64urlSegment,
  b64urlSegment.map((value) => `"${value}"`),
  headerValue.filter((value) => !value.includes(';')),
)

/** A whole `Cookie` header around the cookie `base` and its chunks. */
export function cookieHeader(base: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .array(fc.tuple(cookieName(base), fc.constantFrom('=', ' = ', '=='), cookieValue), { maxLength: 6 })
      .map((pairs) => pairs.map(([name, eq, value]) => `${name}${eq}${value}`).join('; ')),
    headerValue,
  )
}

/**
 * Throws unless `error` is an AuthError with a stable-looking code and a status below 500;
 * returns it as `E` (e.g. `expectClientError<AuthError>(error)`).
 */
export function expectClientError<E extends ClientError = ClientError>(
  error: unknown,
  allowedStatus: (status: number) => boolean = (s) => s < 500,
): E {
  if (!isAuthError(error)) throw new Error(`not an AuthError: ${String(error)}`, { cause: error })
  if (!/^ERR_[A-Z0-9_]+$/.test(error.code)) throw new Error(`unstable code ${error.code}`)
  if (!allowedStatus(error.status)) throw new Error(`status ${error.status} for ${error.code}`)
  return error as E
}

/** Throws if any of `secrets` (long enough to be meaningful) appears in `text`. */
export function expectNoLeak(text: string, ...secrets: readonly string[]): void {
  for (const secret of secrets) {
    if (secret.length >= 12 && text.includes(secret)) throw new Error('the input leaked into the answer')
  }
}

/**
 * An RFC 6750 / RFC 6749 §5.2 error body: `{ error, error_description? }`, the code in the §5.2
 * character set. The description is only required to be printable ASCII: the JSON bodies of the
 * resource-server errors quote names (`typ "at+jwt"`), which the `WWW-Authenticate` copy strips.
 */
export function expectOAuthErrorBody(body: unknown): void {
  const { error, error_description: description } = (body ?? {}) as Record<string, unknown>
  if (typeof error !== 'string' || !/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/.test(error)) {
    throw new Error(`not an OAuth error body: ${JSON.stringify(body)}`)
  }
  if (description !== undefined && (typeof description !== 'string' || !/^[\x20-\x7E]*$/.test(description))) {
    throw new Error(`bad error_description: ${JSON.stringify(description)}`)
  }
}
