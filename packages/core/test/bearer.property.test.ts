import {
  authorizationValue,
  expectClientError,
  expectNoLeak,
  expectOAuthErrorBody,
  headerValue,
  RUNS,
} from '@org/test-kit/arbitraries'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AuthError,
  authErrorResponse,
  authorizationFromRawHeaders,
  authorizationOf,
  extractBearerToken,
} from '../src/index.js'

// An independent model of RFC 6750 §2.1: scheme case-insensitive, one space, one b64token.
const MODEL = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i

describe('extractBearerToken on any header value', () => {
  it('returns exactly the b64token of a well-formed header, else throws a 400/401 AuthError', () => {
    fc.assert(
      fc.property(fc.oneof(authorizationValue, fc.string()), (value) => {
        const expected = MODEL.exec(value)?.[1]
        let token: string | undefined
        try {
          token = extractBearerToken(value)
        } catch (error) {
          const authError = expectClientError<AuthError>(error, (status) => status === 400 || status === 401)
          expect(['ERR_BEARER_MALFORMED', 'ERR_BEARER_MISSING']).toContain(authError.code)
          // The response an adapter sends: RFC 6750 body and challenge, never the value itself.
          const response = authErrorResponse(authError)
          expectNoLeak(authError.message, value.slice(7))
          expectNoLeak(response.headers.get('www-authenticate') ?? '', value.slice(7))
          expect(expected).toBeUndefined()
          return
        }
        expect(token).toBe(expected)
      }),
      { numRuns: RUNS.fast * 3 },
    )
  })

  it('refuses every list of two or more values, and treats a one-value list as that value', () => {
    fc.assert(
      fc.property(fc.array(authorizationValue, { minLength: 0, maxLength: 4 }), (values) => {
        const run = () => extractBearerToken(values)
        if (values.length === 0) {
          expect(run).toThrow(expect.objectContaining({ code: 'ERR_BEARER_MISSING' }))
        } else if (values.length > 1) {
          expect(run).toThrow(expect.objectContaining({ code: 'ERR_BEARER_MALFORMED' }))
        } else {
          const single = (() => {
            try {
              return extractBearerToken(values[0] as string)
            } catch (error) {
              return (error as { code: string }).code
            }
          })()
          try {
            expect(run()).toBe(single)
          } catch (error) {
            expect((error as { code: string }).code).toBe(single)
          }
        }
      }),
      { numRuns: RUNS.fast },
    )
  })

  it('answers non-strings (callers outside TypeScript) with a typed error, never a TypeError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.constant(undefined), fc.constant([])), (value) => {
        try {
          extractBearerToken(value as never)
        } catch (error) {
          expectClientError(error)
        }
      }),
    )
  })

  it('an error response has the RFC 6750 shape', async () => {
    await fc.assert(
      fc.asyncProperty(authorizationValue, async (value) => {
        try {
          extractBearerToken(value)
        } catch (error) {
          const response = authErrorResponse(expectClientError<AuthError>(error))
          expect([400, 401]).toContain(response.status)
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
          expectOAuthErrorBody(await response.json())
        }
      }),
      { numRuns: RUNS.io },
    )
  })
})

// Header names as Node reports them in rawHeaders: any case, and near misses.
const rawName = fc.oneof(
  fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn'),
  fc.constantFrom('Authorisation', 'Authorization ', 'X-Authorization', 'Proxy-Authorization', 'Host'),
  fc.stringMatching(/^[A-Za-z-]{1,16}$/),
)
const rawHeaders = fc.array(fc.tuple(rawName, headerValue), { maxLength: 8 }).map((pairs) => pairs.flat())

function modelValues(raw: readonly string[]): string[] {
  const values: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'authorization') values.push(raw[i + 1] as string)
  }
  return values
}

describe('authorizationFromRawHeaders / authorizationOf on any raw header list', () => {
  it('reports every Authorization value: none, the one, or all of them in order', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const values = modelValues(raw)
        const expected = values.length === 0 ? undefined : values.length === 1 ? values[0] : values
        expect(authorizationFromRawHeaders(raw)).toEqual(expected)
      }),
      { numRuns: RUNS.fast },
    )
  })

  it('agrees with authorizationOf given the headers object Node would build', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const values = modelValues(raw)
        // Node keeps the first Authorization in `headers` and drops the others.
        const headers = values.length === 0 ? {} : { authorization: values[0] }
        const fromRaw = authorizationFromRawHeaders(raw)
        expect(authorizationOf({ headers, rawHeaders: raw })).toEqual(fromRaw)
      }),
      { numRuns: RUNS.fast },
    )
  })

  it('feeds extractBearerToken only typed refusals: a repeated header is never judged by its first value', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const header = authorizationFromRawHeaders(raw)
        try {
          extractBearerToken(header)
          expect(modelValues(raw)).toHaveLength(1)
        } catch (error) {
          expectClientError(error)
        }
      }),
      { numRuns: RUNS.fast },
    )
  })
})
