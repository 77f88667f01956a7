import type { AddressInfo } from 'node:net'
import { createDpopNonceSource } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { dpopKey, proof } from '@org/test-kit/dpop'
import { type DpopPeer, dpopPeer, expectDpopPeerAccepted } from '@org/test-kit/dpop-peer'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../src/globals.js'
import { authErrorHandler, getAuth, requireAuth } from '../src/index.js'

let idp: DevIdp
let peer: DpopPeer
let server: ReturnType<express.Express['listen']>
let base: string

beforeAll(async () => {
  idp = await startDevIdp()
  peer = await dpopPeer({ issuer: idp.issuer, ...idp.client, resource: idp.resource })
  const app = express()
  app.get(
    '/api/orders/:id',
    requireAuth({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri }),
    (req, res) => {
      const auth = getAuth(req)
      res.json({ jkt: auth !== undefined && 'dpop' in auth ? auth.dpop?.jkt : null })
    },
  )
  app.use(authErrorHandler())
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server?.close()
  await idp?.close()
})

describe('Express: a DPoP-bound token from oidc-provider, proofs by openid-client', () => {
  it('accepts the bound token with a valid proof, refuses it without one or as Bearer', async () => {
    await expectDpopPeerAccepted(peer, `${base}/api/orders/1?x=1`)
    const body = await (await peer.call(`${base}/api/orders/2`)).json()
    expect(body.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('checks htu against the public origin when one is configured (a proxy in front)', async () => {
    const app = express()
    app.get(
      '/api/x',
      requireAuth(
        { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
        { origin: 'https://api.example.com' },
      ),
      (_req, res) => {
        res.json({})
      },
    )
    app.use(authErrorHandler())
    const proxied = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => proxied.once('listening', resolve))
    const url = `http://127.0.0.1:${(proxied.address() as AddressInfo).port}/api/x`
    try {
      // The proof names the URL the client called, which is not the public one: refused.
      // openid-client throws on a challenge; its `cause` lists the parsed challenges.
      const refused = await peer.call(url).then(
        () => undefined,
        (error: { status?: number; cause?: unknown }) => error,
      )
      expect(refused?.status).toBe(401)
      expect(refused?.cause).toContainEqual(
        expect.objectContaining({
          scheme: 'dpop',
          parameters: expect.objectContaining({ error: 'invalid_dpop_proof' }),
        }),
      )
    } finally {
      proxied.close()
    }
  })

  it('with server nonces: openid-client answers use_dpop_nonce with the DPoP-Nonce it was given', async () => {
    const app = express()
    app.get(
      '/api/n',
      requireAuth({
        issuer: idp.issuer,
        audience: idp.resource,
        jwks: idp.jwksUri,
        dpop: { nonce: createDpopNonceSource() },
      }),
      (_req, res) => {
        res.json({ ok: true })
      },
    )
    app.use(authErrorHandler())
    const nonced = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => nonced.once('listening', resolve))
    const url = `http://127.0.0.1:${(nonced.address() as AddressInfo).port}/api/n`
    try {
      // A fresh peer: it holds no nonce for this server yet, so its first proof has none.
      const fresh = await dpopPeer({ issuer: idp.issuer, ...idp.client, resource: idp.resource })
      const seen: { status: number; challenge: string | null; nonce: string | null }[] = []
      const original = globalThis.fetch
      globalThis.fetch = async (input, init) => {
        const response = await original(input, init)
        if (String(input instanceof Request ? input.url : input).startsWith(url)) {
          seen.push({
            status: response.status,
            challenge: response.headers.get('www-authenticate'),
            nonce: response.headers.get('dpop-nonce'),
          })
        }
        return response
      }
      let ok: Response
      try {
        ok = await fresh.call(url)
      } finally {
        globalThis.fetch = original
      }
      expect(ok.status).toBe(200)
      expect(seen[0]).toMatchObject({ status: 401, nonce: expect.stringMatching(/\./) })
      expect(seen[0]?.challenge).toMatch(/DPoP error="use_dpop_nonce"/)
      expect(seen.at(-1)?.status).toBe(200)
    } finally {
      nonced.close()
    }
  })

  it('against a dev IdP that requires DPoP nonces: a bound token after the nonce retry, accepted here', async () => {
    const nonceIdp = await startDevIdp({ dpopRequireNonce: true })
    try {
      // Without a nonce the token endpoint answers use_dpop_nonce with one.
      const key = await dpopKey()
      const first = await fetch(nonceIdp.endpoints.token, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${nonceIdp.client.clientId}:${nonceIdp.client.clientSecret}`)}`,
          dpop: await proof(key, { htm: 'POST', htu: nonceIdp.endpoints.token }),
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'read',
          resource: nonceIdp.resource,
        }),
      })
      expect(first.status).toBe(400)
      expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' })
      expect(first.headers.get('dpop-nonce')).toBeTruthy()
      // openid-client retries with the nonce and gets a bound token, which an API accepts.
      const noncePeer = await dpopPeer({
        issuer: nonceIdp.issuer,
        ...nonceIdp.client,
        resource: nonceIdp.resource,
      })
      const app = express()
      app.get(
        '/api/y',
        requireAuth({ issuer: nonceIdp.issuer, audience: nonceIdp.resource, jwks: nonceIdp.jwksUri }),
        (_req, res) => {
          res.json({})
        },
      )
      app.use(authErrorHandler())
      const api = app.listen(0, '127.0.0.1')
      await new Promise((resolve) => api.once('listening', resolve))
      try {
        await expectDpopPeerAccepted(
          noncePeer,
          `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/y`,
        )
      } finally {
        api.close()
      }
    } finally {
      await nonceIdp.close()
    }
  })
})
