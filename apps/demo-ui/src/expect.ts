/**
 * The assertions every demo's test makes on its tour (`tourDemo`): one definition of what "the
 * demo works" means, so the Express, Hono and Nest demos cannot drift apart.
 */
import { expect } from 'vitest'
import type { TourReport } from './tour.js'

export function expectDemoTour(tour: TourReport): void {
  expect(tour.signedOutHome).toContain('id="signed-out"')
  expect(tour.landing).toBe('/')
  expect(tour.home).toContain('<code id="sub">alice</code>')
  expect(tour.home).toContain('alice@example.test')
  // Any token; scope write; scope admin (not granted).
  expect(tour.apiStatuses).toEqual(['200', '201', '403'])
  expect(tour.profile).not.toMatch(/eyJ[\w-]+\.eyJ/) // the access token stays on the server
  expect(tour.mfaMethods).toEqual(['none', 'totp', 'email'])
  expect(tour.wrongCodeError).toBe('ERR_OTP_INVALID')
  expect(tour.crossSiteMfaStatus).toBe(403)
  expect(tour.logoutStatus).toBe(303)
  expect(tour.logoutLocation).toMatch(/\/session\/end\?/) // RP-initiated logout at the IdP
  expect(tour.afterLogoutStatus).toBe(401)
}
