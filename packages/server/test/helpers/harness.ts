/**
 * A real delegation service on 127.0.0.1 (the Web handler behind @hono/node-server's Node bridge)
 * and a real client, sharing a frozen clock. Every write to the store, every replay-cache entry and
 * every code sent is recorded, which is how hostile tests prove nothing changed on the IdP.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import {
  DelegationClient,
  type DelegationClientOptions,
  type DelegationKey,
  importDelegationKey,
} from '@org/auth-core/delegation'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import {
  createDelegationService,
  createMemoryDelegationStore,
  createMemoryReplayStore,
  type DelegationEvent,
  type DelegationServiceOptions,
  type DelegationStore,
  type OtpMessage,
} from '../../src/index.js'

export interface PartyKeys {
  signingPrivatePem: string
  signingPublicPem: string
  encryptionPrivatePem: string
  encryptionPublicPem: string
}

export async function partyKeys(): Promise<PartyKeys> {
  const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const x = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
  return {
    signingPrivatePem: await exportPKCS8(ed.privateKey),
    signingPublicPem: await exportSPKI(ed.publicKey),
    encryptionPrivatePem: await exportPKCS8(x.privateKey),
    encryptionPublicPem: await exportSPKI(x.publicKey),
  }
}

export const SP_ID = 'sp-demo'
/** 2033-05-18T03:33:20Z: a fixed instant for both ends. */
export const T0 = 2_000_000_000_000

export interface Harness {
  baseUrl: string
  client: DelegationClient
  sp: PartyKeys
  idp: PartyKeys
  /** The SP's and IdP's keys imported, for tests that craft messages themselves. */
  imported: {
    spSigner: DelegationKey
    spDecrypt: DelegationKey
    idpVerify: DelegationKey
    idpRecipient: DelegationKey
  }
  clock: { now: number }
  sent: OtpMessage[]
  events: DelegationEvent[]
  /** Store writes and replay-cache entries, in order. */
  writes: string[]
  store: DelegationStore
  requests: number
  /** Writes + codes sent: equal before and after a refused request means nothing changed. */
  fingerprint(): string
  makeClient(overrides?: Partial<DelegationClientOptions>): Promise<DelegationClient>
  close(): Promise<void>
}

function recording(store: DelegationStore, writes: string[]): DelegationStore {
  return {
    getCredentials: (spId, userId) => store.getCredentials(spId, userId),
    async putCredentials(spId, userId, record) {
      writes.push(`putCredentials ${userId} ${record.method}`)
      return store.putCredentials(spId, userId, record)
    },
    async putSession(session) {
      writes.push(`putSession ${session.userId} ${session.method}`)
      return store.putSession(session)
    },
    async recordAttempt(spId, id, userId) {
      const session = await store.recordAttempt(spId, id, userId)
      if (session !== undefined) writes.push(`recordAttempt ${session.attempts}`)
      return session
    },
    async takeSession(spId, id) {
      const taken = await store.takeSession(spId, id)
      if (taken !== undefined) writes.push('takeSession')
      return taken
    },
  }
}

export interface HarnessSetup {
  /** Wraps the recorded memory store (latency, fault injection) before the service gets it. */
  wrapStore?: (store: DelegationStore) => DelegationStore
}

export async function startHarness(
  overrides: Partial<DelegationServiceOptions> = {},
  setup: HarnessSetup = {},
): Promise<Harness> {
  const sp = await partyKeys()
  const idp = await partyKeys()
  const clock = { now: T0 }
  const sent: OtpMessage[] = []
  const events: DelegationEvent[] = []
  const writes: string[] = []
  const recorded = recording(createMemoryDelegationStore(), writes)
  const store = setup.wrapStore?.(recorded) ?? recorded
  const replay = createMemoryReplayStore({ now: () => clock.now })
  let handler: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
  let requests = 0
  const server: Server = createServer(
    getRequestListener((request) => {
      requests++
      return handler(request)
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/delegation`
  const capture = async (message: OtpMessage) => {
    sent.push(message)
  }
  handler = await createDelegationService({
    baseUrl,
    keys: { signingKey: idp.signingPrivatePem, encryptionKeys: idp.encryptionPrivatePem },
    registeredProviders: [
      { id: SP_ID, signingKeys: sp.signingPublicPem, encryptionKey: sp.encryptionPublicPem },
    ],
    store,
    replayStore: {
      async consume(key, expiresAt) {
        const fresh = await replay.consume(key, expiresAt)
        if (fresh) writes.push('replay')
        return fresh
      },
    },
    senders: { email: capture, sms: capture },
    totp: { issuer: 'Example IdP' },
    onEvent: (event) => events.push(event),
    now: () => clock.now,
    ...overrides,
  })
  const makeClient = (options: Partial<DelegationClientOptions> = {}) =>
    DelegationClient.fromKeys({
      spSigningKey: sp.signingPrivatePem,
      spEncryptionKey: sp.encryptionPrivatePem,
      idpVerifyKey: idp.signingPublicPem,
      idpEncryptionKey: idp.encryptionPublicPem,
      baseUrl,
      spId: SP_ID,
      now: () => clock.now,
      retries: 0,
      ...options,
    })
  const harness: Harness = {
    baseUrl,
    client: await makeClient(),
    sp,
    idp,
    imported: {
      spSigner: await importDelegationKey(sp.signingPrivatePem, 'sign', 'sp'),
      spDecrypt: await importDelegationKey(sp.encryptionPrivatePem, 'decrypt', 'sp'),
      idpVerify: await importDelegationKey(idp.signingPublicPem, 'verify', 'idp'),
      idpRecipient: await importDelegationKey(idp.encryptionPublicPem, 'encrypt', 'idp'),
    },
    clock,
    sent,
    events,
    writes,
    store,
    get requests() {
      return requests
    },
    fingerprint: () => JSON.stringify([writes, sent.length]),
    makeClient,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return harness
}
