import { randomBytes } from 'node:crypto'
import { MFA_OOB_BINDING_CODE, MFA_OTP_CODE, safeEqual } from '../accounts.js'
import { type GrantContext, issueUserTokens, type ResourceServerInfo, reply } from './issue.js'

/** Auth0 gives an mfa_token a few minutes; long enough for a test, short enough to exercise expiry by hand. */
const MFA_TOKEN_TTL_MS = 5 * 60 * 1000

/** The password request an mfa_token stands for: the MFA grants issue exactly what it asked for. */
export interface MfaTransaction {
  sub: string
  clientId: string
  scope: string
  resource: string | undefined
  expiresAt: number
}

const opaque = (): string => randomBytes(24).toString('base64url')

/**
 * Pending MFA transactions of one dev IdP. It lives outside the Provider (which key rotation
 * rebuilds), so an mfa_token survives `rotateKeys()` like the rest of the IdP's state.
 */
export class MfaState {
  readonly #transactions = new Map<string, MfaTransaction>()
  /** oob_code → the mfa_token it was challenged for. */
  readonly #oobCodes = new Map<string, string>()
  /** While true the mfa-oob grant answers authorization_pending (the user has not confirmed yet). */
  oobPending = false

  /** Starts a transaction for a password grant that needs a second factor; returns the mfa_token. */
  start(transaction: Omit<MfaTransaction, 'expiresAt'>): string {
    const token = opaque()
    this.#transactions.set(token, { ...transaction, expiresAt: Date.now() + MFA_TOKEN_TTL_MS })
    return token
  }

  /** The live transaction for `token`, optionally bound to `clientId`. */
  find(token: string | undefined, clientId?: string): MfaTransaction | undefined {
    if (!token) return undefined
    const transaction = this.#transactions.get(token)
    if (!transaction) return undefined
    if (transaction.expiresAt <= Date.now()) {
      this.#forget(token)
      return undefined
    }
    return clientId === undefined || transaction.clientId === clientId ? transaction : undefined
  }

  /** mfa_tokens are single-use: a successful MFA grant ends the transaction and its oob codes. */
  #forget(token: string): void {
    this.#transactions.delete(token)
    for (const [code, owner] of this.#oobCodes) if (owner === token) this.#oobCodes.delete(code)
  }

  complete(token: string): void {
    this.#forget(token)
  }

  /** A fresh oob_code for an out-of-band (SMS) challenge of `token`. */
  challengeOob(token: string): string {
    const code = opaque()
    this.#oobCodes.set(code, token)
    return code
  }

  oobBelongsTo(code: string | undefined, token: string): boolean {
    return code !== undefined && this.#oobCodes.get(code) === token
  }

  clear(): void {
    this.#transactions.clear()
    this.#oobCodes.clear()
    this.oobPending = false
  }
}

const INVALID_MFA_TOKEN = { error: 'invalid_grant', error_description: 'Invalid or expired mfa_token.' }

/** Issues the tokens the original password request asked for and ends the MFA transaction. */
async function finish(
  ctx: GrantContext,
  resourceServerInfo: ResourceServerInfo,
  mfa: MfaState,
  token: string,
  transaction: MfaTransaction,
  gty: string,
  factor: string,
): Promise<void> {
  mfa.complete(token)
  ctx.body = await issueUserTokens(ctx, resourceServerInfo, {
    accountId: transaction.sub,
    scope: transaction.scope,
    resource: transaction.resource,
    gty,
    amr: ['pwd', factor, 'mfa'],
  })
}

/** `http://auth0.com/oauth/grant-type/mfa-otp`: mfa_token + otp (MFA_OTP_CODE is the right one). */
export function mfaOtpHandler(resourceServerInfo: ResourceServerInfo, mfa: MfaState, gty: string) {
  return async (ctx: GrantContext): Promise<void> => {
    const token = ctx.oidc.params['mfa_token']
    const transaction = mfa.find(token, ctx.oidc.client.clientId)
    if (!token || !transaction) return reply(ctx, 403, INVALID_MFA_TOKEN)
    // A wrong code keeps the transaction open, so a client can let the user retry.
    if (!safeEqual(ctx.oidc.params['otp'] ?? '', MFA_OTP_CODE)) {
      return reply(ctx, 403, { error: 'invalid_grant', error_description: 'Invalid otp_code.' })
    }
    await finish(ctx, resourceServerInfo, mfa, token, transaction, gty, 'otp')
  }
}

/**
 * `http://auth0.com/oauth/grant-type/mfa-oob`: mfa_token + oob_code (+ binding_code, MFA_OOB_BINDING_CODE).
 * `MfaState.oobPending` simulates a user who has not confirmed yet, for a client's polling loop.
 */
export function mfaOobHandler(resourceServerInfo: ResourceServerInfo, mfa: MfaState, gty: string) {
  return async (ctx: GrantContext): Promise<void> => {
    const token = ctx.oidc.params['mfa_token']
    const transaction = mfa.find(token, ctx.oidc.client.clientId)
    if (!token || !transaction) return reply(ctx, 403, INVALID_MFA_TOKEN)
    if (!mfa.oobBelongsTo(ctx.oidc.params['oob_code'], token)) {
      return reply(ctx, 403, { error: 'invalid_grant', error_description: 'Invalid oob_code.' })
    }
    if (mfa.oobPending) {
      return reply(ctx, 400, {
        error: 'authorization_pending',
        error_description: 'Authorization pending: please repeat the request in a few seconds.',
      })
    }
    if (!safeEqual(ctx.oidc.params['binding_code'] ?? '', MFA_OOB_BINDING_CODE)) {
      return reply(ctx, 403, { error: 'invalid_grant', error_description: 'Invalid binding_code.' })
    }
    await finish(ctx, resourceServerInfo, mfa, token, transaction, gty, 'sms')
  }
}
