/**
 * The identity-provider side of `npm run demo`: the dev IdP, hosting the reference MFA delegation
 * service (@org/auth-server) at `/delegation`, with every demo registered as a service provider.
 * One-time codes go to the console (and to `outbox`, for tests): there is no mail server here.
 */
import { nodeHandler } from '@org/auth-core/node'
import { createDelegationService, type OtpSender } from '@org/auth-server'
import { DEMO_CLIENTS, type DevIdp, startDevIdp } from '@org/dev-idp'
import { devDelegationKeys } from './dev-keys.js'
import { type DemoTokenServer, startDemoTokenServer } from './token-server.js'

/** A one-time code the dev IdP "sent" by email or SMS. */
export interface SentCode {
  method: string
  to: string
  userId: string
  code: string
}

export interface DevServices {
  idp: DevIdp
  /** `<issuer>/delegation`: the `baseUrl` of the demos' delegation clients. */
  delegationUrl: string
  /** Codes sent so far, newest last. */
  outbox: SentCode[]
  /** The machine-to-machine token server every demo API also trusts (token-server.ts). */
  tokenServer: DemoTokenServer
  close(): Promise<void>
}

export interface DevServicesOptions {
  /** Port of the dev IdP on 127.0.0.1. Default: 0 (a free one). */
  port?: number
  /** Called for each code sent (the demo runner prints it). Default: none. */
  onCode?: (sent: SentCode) => void
  /** Port of the token server on 127.0.0.1. Default: 0 (a free one). */
  tokenServerPort?: number
  /** Where the token server keeps clients and keys (DATABASE_URL...: token-server.ts). Default: embedded. */
  env?: Record<string, string | undefined>
}

export async function startDevServices(options: DevServicesOptions = {}): Promise<DevServices> {
  const idp = await startDevIdp({ port: options.port ?? 0 })
  const delegationUrl = `${idp.issuer}/delegation`
  const outbox: SentCode[] = []
  const send: OtpSender = async ({ method, to, userId, code }) => {
    const sent = { method, to, userId, code }
    outbox.push(sent)
    options.onCode?.(sent)
  }
  const idpKeys = devDelegationKeys('idp')
  try {
    const service = await createDelegationService({
      baseUrl: delegationUrl,
      keys: { signingKey: idpKeys.signing.privateKeyPem, encryptionKeys: idpKeys.encryption.privateKeyPem },
      registeredProviders: Object.values(DEMO_CLIENTS).map(({ clientId }) => {
        const keys = devDelegationKeys(clientId)
        return {
          id: clientId,
          signingKeys: keys.signing.publicKeyPem,
          encryptionKey: keys.encryption.publicKeyPem,
        }
      }),
      senders: { email: send, sms: send },
      totp: { issuer: 'Dev IdP' },
    })
    idp.mount('/delegation', nodeHandler(service))
  } catch (error) {
    await idp.close()
    throw error
  }
  let tokenServer: DemoTokenServer
  try {
    tokenServer = await startDemoTokenServer({ port: options.tokenServerPort ?? 0, env: options.env ?? {} })
  } catch (error) {
    await idp.close()
    throw error
  }
  return {
    idp,
    delegationUrl,
    outbox,
    tokenServer,
    close: async () => {
      await Promise.all([idp.close(), tokenServer.close()])
    },
  }
}
