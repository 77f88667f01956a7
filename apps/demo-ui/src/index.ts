export { type DevKeyPair, devDelegationKeys } from './dev-keys.js'
export { type DevServices, type DevServicesOptions, type SentCode, startDevServices } from './dev-services.js'
export { createMfaPages, type MfaPagesOptions } from './mfa-pages.js'
export {
  type ApiCall,
  callApis,
  type DemoPaths,
  escapeHtml,
  homePage,
  PROFILE_CALLS,
  profilePage,
  type SignedInUser,
} from './pages.js'
export {
  createPasskeyPages,
  type DemoPasskeys,
  demoPasskeys,
  type PasskeyPagesOptions,
} from './passkey-pages.js'
export { createSessionPages, type SessionPagesOptions } from './session-pages.js'
export { type DemoName, type DemoSettings, demoApiVerifier, demoSettings } from './settings.js'
export { type DemoStores, demoStores } from './stores.js'
export { DEMO_MACHINE_CLIENT, type DemoTokenServer, startDemoTokenServer } from './token-server.js'
export { type TourReport, tourDemo } from './tour.js'
