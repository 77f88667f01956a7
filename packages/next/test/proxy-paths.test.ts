import { createAuth } from '@org/auth-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAuthProxy } from '../src/proxy.js'
import { ORIGIN, SECRET } from './helpers.js'

// Which paths the proxy protects, for signed-out page navigations: a protected one is redirected
// to the login, any other goes through (`x-middleware-next`). No provider is needed: a request
// without a session cookie never reaches it.
const auth = createAuth({
  issuer: 'https://idp.example',
  clientId: 'app',
  basePath: '/api/auth',
  session: { secrets: SECRET },
})

async function outcome(
  proxy: ReturnType<typeof createAuthProxy>,
  path: string,
): Promise<'login' | 'through'> {
  const response = await proxy(new Request(`${ORIGIN}${path}`, { headers: { 'sec-fetch-mode': 'navigate' } }))
  if (response.headers.get('x-middleware-next') === '1') return 'through'
  expect(response.status).toBe(302)
  // A returnTo only when the path is a safe one to come back to (`//profile` is not).
  expect(response.headers.get('location')).toMatch(
    /^http:\/\/localhost:3004\/api\/auth\/login(\?returnTo=|$)/,
  )
  return 'login'
}

const proxy = createAuthProxy(auth, { protect: ['/profile', '/settings/'] })

describe('createAuthProxy path matching', () => {
  it.each([
    '/profile',
    '/profile/',
    '/profile/tab',
    '/settings',
    // Percent-encoded unreserved characters, in either hex case: Next decodes them to route.
    '/%70rofile',
    '/%70%72%6f%66%69%6C%65/tab',
    '/settings/x',
    // Repeated slashes (Next redirects them to `/profile`) and backslashes.
    '//profile',
    '///profile//tab',
    '/\\profile',
    // Dot segments, plain and encoded.
    '/./profile',
    '/a/../profile',
    '/a/%2e%2e/profile',
    '/x/.%2E/profile/tab',
    // Case: Next's rewrites match case-insensitively by default, so `/PROFILE` may reach `/profile`.
    '/PROFILE',
    '/Profile/Tab',
  ])('protects %s', async (path) => {
    expect(await outcome(proxy, path)).toBe('login')
  })

  it.each([
    // An encoded `/`, `\` or `%` has two readings (decoded or not): protected whatever the prefix.
    '/profile%2F..',
    '/public%2Fpage',
    '/x%5Cprofile',
    '/%2570rofile',
    // Malformed or non-UTF-8 escapes: no reading at all.
    '/pro%zzfile',
    '/public%',
    '/%C3%28',
  ])('fails closed on %s (no single reading)', async (path) => {
    expect(await outcome(proxy, path)).toBe('login')
  })

  it.each([
    '/',
    '/profiles',
    '/public/profile',
    '/settingsx',
    // `;` is no separator for Next's router: `/profile;x` is another (missing) page.
    '/profile;x',
    '/pro%2Dfile',
    '/caf%C3%A9',
  ])('lets %s through', async (path) => {
    expect(await outcome(proxy, path)).toBe('through')
  })

  it('leaves the login routes alone, under any spelling of their path', async () => {
    const everything = createAuthProxy(auth, { protect: ['/'] })
    expect(await outcome(everything, '/api/auth/callback')).toBe('through')
    expect(await outcome(everything, '/api/auth/%6Cogin')).toBe('through')
    expect(await outcome(everything, '/api/other')).toBe('login')
  })

  it('normalises the prefixes too, and refuses ones with no single reading (or bad scope names) at start-up', async () => {
    const encoded = createAuthProxy(auth, { protect: ['/caf%C3%A9/', '/Account'] })
    expect(await outcome(encoded, '/caf%c3%a9')).toBe('login')
    expect(await outcome(encoded, '/account/x')).toBe('login')
    expect(await outcome(encoded, '/cafe')).toBe('through')
    expect(() => createAuthProxy(auth, { scopes: ['read write'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    for (const bad of ['account', '/a%2Fb', '/a%', 42]) {
      expect(() => createAuthProxy(auth, { protect: [bad as string] })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
  })

  it('hands a predicate the normalised path; a path with no single reading is protected regardless', async () => {
    const seen: string[] = []
    const predicate = createAuthProxy(auth, {
      protect: (pathname) => {
        seen.push(pathname)
        return pathname === '/admin'
      },
    })
    expect(await outcome(predicate, '//%61dmin')).toBe('login')
    expect(await outcome(predicate, '/public')).toBe('through')
    expect(await outcome(predicate, '/public%2F')).toBe('login')
    expect(seen).toEqual(['/admin', '/public'])
  })
})

// Disguises of a path: escapes of any characters (either hex case), case changes, repeated
// slashes, `.` segments and `x/..` detours, in any combination.
const segment = fc
  .stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{1,6}$/)
  .filter((s) => s !== '.' && s !== '..')

function disguise(path: string, seed: readonly number[]): string {
  let out = ''
  let i = 0
  for (const char of path) {
    const roll = seed[i++ % seed.length] as number
    if (char === '/') {
      out += ['/', '//', '/./', '/x/../', '/./x/../'][roll % 5]
    } else if (roll % 3 === 0) {
      const hex = (char.codePointAt(0) as number).toString(16).padStart(2, '0')
      out += `%${roll % 2 === 0 ? hex.toUpperCase() : hex}`
    } else {
      out += roll % 4 === 1 ? char.toUpperCase() : char
    }
  }
  return out
}

describe('createAuthProxy path matching properties', () => {
  it('protects every disguise of a protected path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 3 }),
        fc.array(fc.nat(60), { minLength: 1 }),
        async (rest, seed) => {
          const path = ['/profile', ...rest].join('/')
          expect(await outcome(proxy, disguise(path, seed))).toBe('login')
        },
      ),
      { numRuns: 300 },
    )
  })

  it('lets every disguise of an unprotected path through', async () => {
    const unprotected = fc
      .array(segment, { minLength: 1, maxLength: 3 })
      .filter(([first]) => !['profile', 'settings'].includes((first as string).toLowerCase()))
    await fc.assert(
      fc.asyncProperty(unprotected, fc.array(fc.nat(60), { minLength: 1 }), async (segments, seed) => {
        expect(await outcome(proxy, disguise(`/${segments.join('/')}`, seed))).toBe('through')
      }),
      { numRuns: 300 },
    )
  })
})
