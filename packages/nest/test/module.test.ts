import 'reflect-metadata'
import { Controller, Get, Inject, UseGuards } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import { ConfigurationError, InsufficientScopeError, KeysUnavailableError } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthContext,
  AuthException,
  AuthExceptionFilter,
  AuthGuard,
  AuthService,
  CurrentAuth,
  RequireScopes,
  SessionCheckException,
  SessionGuard,
} from '../src/index.js'
import { MATRIX, MODES, PLATFORMS, startApp } from './helpers.js'

// Start-up checks, the optional exception filter, and the failures a guard must not turn into
// "anonymous": configuration mistakes stop the application or answer 500, never pass.

@Controller()
class ThrowingController {
  @Get('service-error')
  serviceError() {
    // An application's own code refusing a request with the core's error family.
    throw new InsufficientScopeError(['admin'])
  }

  @Get('unavailable')
  unavailable() {
    throw new KeysUnavailableError('ERR_KEYS_UNAVAILABLE', 'No verification key can be had', 7)
  }

  @Get('misconfigured')
  misconfigured() {
    throw new ConfigurationError('a secret-free but internal message')
  }

  @Get('unguarded')
  unguarded(@CurrentAuth() auth: AuthContext) {
    return { sub: auth.claims.sub }
  }
}

@Controller('bearer')
@UseGuards(AuthGuard)
class BearerController {
  @Get()
  index() {
    return { ok: true }
  }
}

@Controller('session')
@UseGuards(SessionGuard)
class SessionController {
  @Get()
  index() {
    return { ok: true }
  }
}

@Controller('service')
class ServiceController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}
  @Get()
  index() {
    return { verifier: typeof this.auth.verifier.verify }
  }
}

let idp: DevIdp
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})

const verifier = () => ({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri })

describe.each(MATRIX)('start-up checks on %s with %s', (platform, mode) => {
  it('refuses options with neither "verifier" nor "login"', async () => {
    await expect(startApp({ platform, mode, options: {}, controllers: [] })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'AuthModule needs "verifier", "login" or both',
    })
  })

  it('refuses AuthGuard without a verifier and SessionGuard without a login', async () => {
    const login = { issuer: idp.issuer, clientId: 'nest-demo', session: { secrets: 'x'.repeat(32) } }
    await expect(
      startApp({ platform, mode, options: { login }, controllers: [BearerController] }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/AuthGuard/) })
    await expect(
      startApp({ platform, mode, options: { verifier: verifier() }, controllers: [SessionController] }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/SessionGuard/) })
    await expect(
      startApp({ platform, mode, options: { login }, controllers: [], globalGuard: true }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
  })

  it('refuses invalid bridge and login options', async () => {
    const login = { issuer: idp.issuer, clientId: 'nest-demo', session: { secrets: 'short' } }
    await expect(startApp({ platform, mode, options: { login }, controllers: [] })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    const valid = { ...login, session: { secrets: 'x'.repeat(32) } }
    await expect(
      startApp({
        platform,
        mode,
        options: { login: valid, bridge: { origin: 'not a url' } },
        controllers: [],
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/origin/) })
  })

  it('serves no login routes without "login", and exposes the verifier through AuthService', async () => {
    const app = await startApp({
      platform,
      mode,
      options: { verifier: verifier() },
      controllers: [ServiceController],
    })
    try {
      expect((await fetch(`${app.origin}/auth/login`)).status).toBe(404)
      expect(await (await fetch(`${app.origin}/service`)).json()).toEqual({ verifier: 'function' })
    } finally {
      await app.close()
    }
  })
})

it('checks scope names when the decorator is applied', () => {
  expect(() => RequireScopes('read write')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
})

it('AuthException carries the error, its status, headers and body', () => {
  const exception = new AuthException(new InsufficientScopeError(['write']), { realm: 'api' })
  expect(exception.getStatus()).toBe(403)
  // A literal name: Nest's own `constructor.name` would be whatever a minifier left.
  expect(exception.name).toBe('AuthException')
  expect(new SessionCheckException(401, {}, []).name).toBe('SessionCheckException')
  expect(exception.error.code).toBe('ERR_INSUFFICIENT_SCOPE')
  expect(exception.cause).toBe(exception.error)
  expect(exception.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="insufficient_scope"/)
  expect(exception.getResponse()).toEqual({
    error: 'insufficient_scope',
    error_description: 'The token lacks a required scope',
  })
})

describe.each(PLATFORMS)('AuthExceptionFilter on %s', (platform) => {
  it.each(MODES)('answers AuthErrors thrown by application code (%s)', async (mode) => {
    const seen: string[] = []
    const app = await startApp({
      platform,
      mode,
      options: { verifier: verifier(), realm: 'app', onError: (error) => seen.push(error.code) },
      controllers: [ThrowingController],
      providers: [{ provide: APP_FILTER, useClass: AuthExceptionFilter }],
    })
    try {
      const scope = await fetch(`${app.origin}/service-error`)
      expect(scope.status).toBe(403)
      expect(scope.headers.get('www-authenticate')).toBe(
        'Bearer realm="app", error="insufficient_scope", error_description="The token lacks a required scope", scope="admin"',
      )
      const unavailable = await fetch(`${app.origin}/unavailable`)
      expect(unavailable.status).toBe(503)
      expect(unavailable.headers.get('retry-after')).toBe('7')
      const misconfigured = await fetch(`${app.origin}/misconfigured`)
      expect(misconfigured.status).toBe(500)
      expect(await misconfigured.json()).toEqual({
        error: 'server_error',
        error_description: 'Internal server error',
      })
      expect(seen).toEqual(['ERR_INSUFFICIENT_SCOPE', 'ERR_KEYS_UNAVAILABLE', 'ERR_INVALID_OPTION'])
    } finally {
      await app.close()
    }
  })

  it('@CurrentAuth() on a route no guard protects is a 500, never an anonymous pass', async () => {
    const app = await startApp({
      platform,
      mode: 'forRoot',
      options: { verifier: verifier() },
      controllers: [ThrowingController],
    })
    try {
      const res = await fetch(`${app.origin}/unguarded`)
      expect(res.status).toBe(500)
      expect(await res.text()).not.toMatch(/CurrentAuth|stack/)
    } finally {
      await app.close()
    }
  })
})
