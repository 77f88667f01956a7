import { serve } from '@hono/node-server'
import { createTokenVerifier } from '@org/auth-core'
import { createApp } from './app.js'

// Defaults match the dev identity provider that `npm run demo` starts beside this app.
const issuer = process.env['ISSUER'] ?? 'http://127.0.0.1:4000'
const audience = process.env['AUDIENCE'] ?? 'https://api.example.test'
const port = Number(process.env['PORT'] ?? 3002)

// Discovery is lazy: the app may start before the identity provider answers.
const verifier = createTokenVerifier({ issuer, audience, discovery: true, tokenType: 'access' })

serve({ fetch: createApp(verifier).fetch, port, hostname: '127.0.0.1' }, () => {
  console.log(`hono-demo on http://127.0.0.1:${port} (issuer ${issuer})
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/api/profile`)
})
