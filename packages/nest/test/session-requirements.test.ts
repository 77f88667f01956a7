import 'reflect-metadata'
import { Reflector } from '@nestjs/core'
import { describe, expect, it } from 'vitest'
import { RequireScopes, RequireSession, RequireStepUp } from '../src/index.js'
import { sessionRequirements } from '../src/session.guard.js'

@RequireSession({ scopes: ['admin'], onMissing: '401' })
class AdminController {
  @RequireSession()
  dashboard() {}

  @RequireSession({ scopes: ['write'], onMissing: 'redirect' })
  @RequireScopes('audit')
  edit() {}

  // Security review: a step-up beside @RequireSession() was silently ignored (AuthGuard steps aside
  // for session routes and SessionGuard did not read it).
  @RequireSession()
  @RequireStepUp({ acrValues: ['urn:mfa'], maxAge: 300 })
  pay() {}
}

function contextOf(handler: () => void) {
  return { getHandler: () => handler, getClass: () => AdminController } as never
}

describe('sessionRequirements (fresh-eyes review: class scopes were dropped by a method decorator)', () => {
  it('keeps the class scopes under a method-level @RequireSession()', () => {
    const options = sessionRequirements(new Reflector(), contextOf(AdminController.prototype.dashboard))
    expect(options.scopes).toEqual(['admin'])
    expect(options.onMissing).toBe('401')
  })

  it('adds method and @RequireScopes scopes; the method wins for other options', () => {
    const options = sessionRequirements(new Reflector(), contextOf(AdminController.prototype.edit))
    expect([...(options.scopes ?? [])].sort()).toEqual(['admin', 'audit', 'write'])
    expect(options.onMissing).toBe('redirect')
  })
})

describe('sessionRequirements with @RequireStepUp()', () => {
  it('makes the step-up part of the session check', () => {
    const options = sessionRequirements(new Reflector(), contextOf(AdminController.prototype.pay))
    expect(options).toMatchObject({
      acrValues: ['urn:mfa'],
      maxAge: 300,
      scopes: ['admin'],
      onMissing: '401',
    })
    const plain = sessionRequirements(new Reflector(), contextOf(AdminController.prototype.dashboard))
    expect(plain.acrValues).toBeUndefined()
    expect(plain.maxAge).toBeUndefined()
  })
})
