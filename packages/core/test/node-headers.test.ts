import { describe, expect, it } from 'vitest'
import { authorizationFromRawHeaders, authorizationOf, extractBearerToken } from '../src/index.js'

/** A Node request as `http` builds it: `rawHeaders` as sent, `headers` keeping only the first. */
function request(raw: string[]) {
  const headers: Record<string, string> = {}
  for (let i = 0; i < raw.length; i += 2) headers[(raw[i] as string).toLowerCase()] ??= raw[i + 1] as string
  return { headers, rawHeaders: raw }
}

describe('reading Authorization from a Node request', () => {
  const cases: [string, string[], string | string[] | undefined][] = [
    ['none', ['Host', 'api.test', 'Accept', '*/*'], undefined],
    ['one, any case of the name', ['Host', 'api.test', 'AUTHORIZATION', 'Bearer abc'], 'Bearer abc'],
    [
      'two, kept apart',
      ['authorization', 'Bearer a', 'Host', 'x', 'Authorization', 'Bearer b'],
      ['Bearer a', 'Bearer b'],
    ],
    [
      'a longer name that starts the same',
      ['Authorization-Extra', 'x', 'Authorization', 'Bearer c'],
      'Bearer c',
    ],
    ['an empty value', ['Authorization', ''], ''],
  ]
  for (const [label, raw, expected] of cases) {
    it(`${label}: the raw reading and authorizationOf agree`, () => {
      expect(authorizationFromRawHeaders(raw)).toEqual(expected)
      expect(authorizationOf(request(raw))).toEqual(expected)
    })
  }

  it('two values are refused as ambiguous downstream', () => {
    const values = authorizationFromRawHeaders(['Authorization', 'Bearer a', 'authorization', 'Bearer a'])
    expect(() => extractBearerToken(values)).toThrow(
      expect.objectContaining({ code: 'ERR_BEARER_MALFORMED' }),
    )
  })
})
