import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTokenVerifier, type DeviceAuthorization, OAuthClient, type TokenSet } from '../src/index.js'
import {
  DEVICE,
  errorBody,
  expectSleep,
  fetchLog,
  type ScriptedAnswer,
  type ScriptedServer,
  scriptedDeviceClient,
  startScriptedServer,
  tokenBody,
  untilAnswered,
  untilRequests,
} from './helpers/grants-server.js'

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
// Whole seconds, so `expiresAt * 1000` falls exactly on a timer boundary.
const T0 = Date.UTC(2030, 0, 1)
const scripted = (device: Record<string, unknown>, token: readonly ScriptedAnswer[] = []) =>
  scriptedDeviceClient(servers, device, token)

const servers: ScriptedServer[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** Polls against the real provider: only `setTimeout` is faked, so the provider keeps real time. */
async function pollNow(client: OAuthClient, device: DeviceAuthorization): Promise<TokenSet> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  const polling = client.pollDeviceToken(device)
  // Settle either way before advancing, so a rejection is never unhandled.
  const settled = polling.then(
    () => undefined,
    () => undefined,
  )
  await vi.advanceTimersByTimeAsync(device.interval * 1000)
  await settled
  vi.useRealTimers()
  return polling
}

describe('device flow against a real OpenID Provider', () => {
  // One provider: every test starts its own device authorization.
  let provider: DevIdp
  beforeAll(async () => {
    provider = await startDevIdp()
  })
  afterAll(async () => {
    await provider.close()
  })

  it('a public client gets tokens once the user approves, with a verified ID token and a JWT for the API', async () => {
    const client = await OAuthClient.discover(provider.issuer, { clientId: provider.clients.public.clientId })
    const device = await client.deviceAuthorization({
      scope: 'openid email read',
      resource: provider.resource,
    })
    expect(device).toMatchObject({
      verificationUri: provider.endpoints.deviceVerification,
      expiresIn: 600,
      interval: 5,
    })
    expect(device.userCode).toMatch(/^\S+$/)
    expect(new URL(device.verificationUriComplete ?? '').searchParams.get('user_code')).toBe(device.userCode)
    await provider.approveDevice(device.userCode, { sub: 'dana' })
    const tokens = await pollNow(client, device)
    expect(tokens.claims).toMatchObject({
      sub: 'dana',
      iss: provider.issuer,
      aud: provider.clients.public.clientId,
      email: 'dana@example.test',
    })
    const verifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      discovery: true,
    })
    await expect(verifier.verify(tokens.accessToken)).resolves.toMatchObject({
      sub: 'dana',
      aud: provider.resource,
      scope: 'read',
      client_id: provider.clients.public.clientId,
    })
  })

  it('a confidential client is refused with access_denied when the user denies', async () => {
    const { clientId, clientSecret } = provider.client
    const client = await OAuthClient.discover(provider.issuer, { clientId, clientSecret })
    const device = await client.deviceAuthorization({ scope: 'openid' })
    await provider.approveDevice(device.userCode, { deny: true })
    await expect(pollNow(client, device)).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'access_denied',
    })
  })

  it('keeps polling through authorization_pending until the user approves', async () => {
    const { clientId, clientSecret } = provider.client
    const polls = fetchLog((url) => url === provider.endpoints.token)
    const client = await OAuthClient.discover(provider.issuer, { clientId, clientSecret, fetch: polls.fetch })
    const device = await client.deviceAuthorization({ scope: 'openid offline_access' })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const polling = client.pollDeviceToken(device)
    await vi.advanceTimersByTimeAsync(5000)
    // The first poll answered pending; the poller sleeps again while the user approves.
    await untilAnswered(polls, 1)
    await provider.approveDevice(device.userCode)
    await vi.advanceTimersByTimeAsync(5000)
    const tokens = await polling
    expect(polls.calls).toHaveLength(2)
    expect(tokens.claims?.sub).toBe('alice')
    expect(tokens.refreshToken).toEqual(expect.any(String))
  })
})

describe('polling (scripted token endpoint, fake timers)', () => {
  it('sends the device authorization request with client auth, scope, resources and audience', async () => {
    const { client, deviceRequests } = await scripted(DEVICE)
    const device = await client.deviceAuthorization({
      scope: ['openid', 'read'],
      resource: ['https://b.example', 'https://a.example'],
      audience: 'api',
    })
    expect(device).toMatchObject({ deviceCode: 'dc-1', userCode: 'WDJB-MJHT', interval: 5, expiresIn: 600 })
    const [request] = deviceRequests
    expect(request?.method).toBe('POST')
    expect(request?.headers.authorization).toBe(`Basic ${btoa('tv:tv-secret')}`)
    expect(request?.form.get('scope')).toBe('openid read')
    expect(request?.form.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect(request?.form.get('audience')).toBe('api')
  })

  it('waits the interval before each poll: pending twice, then tokens, in exactly 3 requests', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
    const pending = errorBody('authorization_pending')
    const { client, tokenRequests, log } = await scripted(DEVICE, [pending, pending, tokenBody('at-device')])
    const polling = client.pollDeviceToken(await client.deviceAuthorization())
    for (const count of [0, 1, 2]) await expectSleep(log, count, 5000)
    await expect(polling).resolves.toMatchObject({ accessToken: 'at-device', tokenType: 'Bearer' })
    expect(log.calls.map((call) => call.at - T0)).toEqual([5000, 10_000, 15_000])
    expect(tokenRequests.map((r) => r.form.get('grant_type'))).toEqual([
      DEVICE_GRANT,
      DEVICE_GRANT,
      DEVICE_GRANT,
    ])
    expect(tokenRequests[2]?.form.get('device_code')).toBe('dc-1')
  })

  it('adds 5 seconds to the interval on every slow_down', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
    const slow = errorBody('slow_down')
    const { client, log } = await scripted({ ...DEVICE, interval: 2 }, [slow, slow, tokenBody('at')])
    const polling = client.pollDeviceToken(await client.deviceAuthorization())
    await expectSleep(log, 0, 2000)
    await expectSleep(log, 1, 7000)
    await expectSleep(log, 2, 12_000)
    await expect(polling).resolves.toMatchObject({ accessToken: 'at' })
    expect(log.calls.map((call) => call.at - T0)).toEqual([2000, 9000, 21_000])
  })

  it.each(['expired_token', 'access_denied', 'invalid_grant'])('stops at the first %s', async (error) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
    const { client, tokenRequests } = await scripted(DEVICE, [errorBody(error), tokenBody('never')])
    const polling = client.pollDeviceToken(await client.deviceAuthorization())
    const outcome = expect(polling).rejects.toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error })
    await vi.advanceTimersByTimeAsync(5000)
    await outcome
    await vi.advanceTimersByTimeAsync(60_000)
    expect(tokenRequests).toHaveLength(1)
  })

  it('gives up with expired_token once expiresAt passes, without asking the server again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
    const { client, log } = await scripted({ ...DEVICE, expires_in: 12 }, [
      errorBody('authorization_pending'),
    ])
    const device = await client.deviceAuthorization()
    expect(device.expiresAt).toBe(T0 / 1000 + 12)
    const polling = client.pollDeviceToken(device)
    const outcome = expect(polling).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'expired_token',
    })
    await expectSleep(log, 0, 5000)
    await expectSleep(log, 1, 5000)
    // 2 s remain: the poller sleeps only those, then stops.
    await expectSleep(log, 2, 2000)
    await outcome
    expect(log.calls.map((call) => call.at - T0)).toEqual([5000, 10_000])
  })

  it('rejects at once with ERR_HTTP_ABORTED when aborted during the wait, or before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
    const { client, tokenRequests } = await scripted(DEVICE, [tokenBody('never')])
    const device = await client.deviceAuthorization()
    const controller = new AbortController()
    const polling = client.pollDeviceToken(device, { signal: controller.signal })
    await vi.advanceTimersByTimeAsync(4000)
    controller.abort()
    await expect(polling).rejects.toMatchObject({ code: 'ERR_HTTP_ABORTED' })
    expect(vi.getTimerCount()).toBe(0)
    await expect(client.pollDeviceToken(device, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_HTTP_ABORTED',
    })
    expect(tokenRequests).toHaveLength(0)
  })

  it('rejects with ERR_HTTP_ABORTED when aborted while a poll is in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
    const { client, tokenRequests } = await scripted(DEVICE, ['hang'])
    const controller = new AbortController()
    const polling = client.pollDeviceToken(await client.deviceAuthorization(), { signal: controller.signal })
    const outcome = expect(polling).rejects.toMatchObject({ code: 'ERR_HTTP_ABORTED' })
    await vi.advanceTimersByTimeAsync(5000)
    await untilRequests(tokenRequests, 1)
    controller.abort()
    await outcome
  })
})

describe('device authorization response checks', () => {
  it.each([
    [3600, 60],
    [0, 1],
    [-1, 1],
    [2.5, 3],
    ['7', 7],
    [null, 5],
  ])('interval %j becomes %i seconds', async (interval, expected) => {
    const { client } = await scripted({ ...DEVICE, interval })
    await expect(client.deviceAuthorization()).resolves.toMatchObject({ interval: expected })
  })

  it("accepts Google's verification_url and keeps verification_uri_complete", async () => {
    const { verification_uri: _, ...google } = DEVICE
    const { client } = await scripted({
      ...google,
      verification_url: 'https://www.google.com/device',
      verification_uri_complete: 'https://idp.example/device?user_code=WDJB-MJHT',
    })
    await expect(client.deviceAuthorization()).resolves.toEqual({
      deviceCode: 'dc-1',
      userCode: 'WDJB-MJHT',
      verificationUri: 'https://www.google.com/device',
      verificationUriComplete: 'https://idp.example/device?user_code=WDJB-MJHT',
      expiresIn: 600,
      expiresAt: expect.any(Number),
      interval: 5,
    })
  })

  it.each([
    ['no device_code', { device_code: undefined }],
    ['an empty user_code', { user_code: '' }],
    ['no verification_uri', { verification_uri: undefined }],
    ['a javascript: verification_uri', { verification_uri: 'javascript:alert(1)' }],
    ['a relative verification_uri_complete', { verification_uri_complete: '/device?c=1' }],
    ['no expires_in', { expires_in: undefined }],
    ['expires_in 0', { expires_in: 0 }],
    ['a fractional expires_in', { expires_in: 1.5 }],
    ['interval "abc"', { interval: 'abc' }],
    ['interval true', { interval: true }],
  ])('refuses a response with %s: ERR_DEVICE_RESPONSE_INVALID', async (_, change) => {
    const { client } = await scripted({ ...DEVICE, ...change })
    await expect(client.deviceAuthorization()).rejects.toMatchObject({
      name: 'RemoteResponseError',
      code: 'ERR_DEVICE_RESPONSE_INVALID',
    })
  })

  it('surfaces a refusal of the device authorization endpoint as OAuthExchangeError', async () => {
    const server = await startScriptedServer()
    servers.push(server)
    server.script('/device', [errorBody('invalid_client', 401)])
    const client = new OAuthClient({
      metadata: { issuer: server.base, device_authorization_endpoint: server.url('/device') },
      clientId: 'tv',
    })
    await expect(client.deviceAuthorization()).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_client',
    })
    const bare = new OAuthClient({ metadata: { issuer: server.base }, clientId: 'tv' })
    await expect(bare.deviceAuthorization()).rejects.toMatchObject({ code: 'ERR_ENDPOINT_UNSUPPORTED' })
  })
})
