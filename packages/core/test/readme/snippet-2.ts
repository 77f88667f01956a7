// Generated from README.md: do not edit.
import { createRemoteJwks, createTokenVerifier } from '@org/auth-core'

const jwks = createRemoteJwks('https://idp.example.com/jwks', { cooldown: 10_000 })
const verifier = createTokenVerifier({ issuer: 'https://idp.example.com', audience: 'api', jwks })
await verifier.ready() // optional: load keys at start-up
const snapshot = jwks.export() // JSON-serialisable; pass back as { snapshot } after a cold start
export {}
