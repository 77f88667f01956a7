/**
 * The three operations, run once a request is authenticated, fresh and not a replay. Each returns
 * an outcome (a result or a protocol refusal); parameters are re-validated here, whatever the
 * client checked.
 */
import {
  checkMfaChangeTarget,
  checkOtp,
  checkSessionId,
  checkUserId,
  DelegationInputError,
  type DelegationOperation,
  MfaMethod,
  randomIdentifier,
} from '@org/auth-core/delegation'
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  otpauthUri,
  type TotpAlgorithm,
  verifyTotp,
} from '../totp.js'
import type { DelegationEvent, OtpSender } from './options.js'
import { codeDigest, digestsEqual, generateOtp } from './otp.js'
import type { CredentialRecord, DelegationStore, MfaChangeSessionRecord } from './store.js'

export type Outcome =
  | { status: number; result: Record<string, unknown> }
  | { status: number; error: string; extra?: Record<string, unknown> }

/** What the operations share: resolved options and the authenticated caller. */
export interface OperationContext {
  spId: string
  store: DelegationStore
  senders: { email?: OtpSender; sms?: OtpSender }
  totp: { issuer: string; algorithm: TotpAlgorithm; period: number; window: number } | undefined
  sessionTtl: number
  maxAttempts: number
  /** Seconds since the epoch. */
  now: number
  emit: (event: DelegationEvent) => void
}

const PARAMS: Record<DelegationOperation, ReadonlySet<string>> = {
  initiateMfaChange: new Set(['user_id', 'method', 'email', 'phone_number']),
  verifyMfaChange: new Set(['user_id', 'session_id', 'otp']),
  getUserCredentials: new Set(['user_id']),
}

const refuse = (error: string, status: number, extra?: Record<string, unknown>): Outcome => ({
  status,
  error,
  ...(extra === undefined ? {} : { extra }),
})

function credentialsView(userId: string, record: CredentialRecord | undefined): Record<string, unknown> {
  return {
    user_id: userId,
    mfa_method: record?.method ?? null,
    email: record?.email ?? null,
    phone_number: record?.phoneNumber ?? null,
    updated_at: record?.updatedAt ?? null,
  }
}

async function initiate(ctx: OperationContext, params: Record<string, unknown>): Promise<Outcome> {
  const userId = checkUserId(params['user_id'], 'user_id')
  const target = checkMfaChangeTarget({
    method: params['method'] as MfaMethod,
    email: params['email'] as string | undefined,
    phoneNumber: params['phone_number'] as string | undefined,
  })
  const id = randomIdentifier()
  const expiresAt = ctx.now + ctx.sessionTtl
  const session: MfaChangeSessionRecord = {
    id,
    spId: ctx.spId,
    userId,
    method: target.method,
    email: target.email ?? null,
    phoneNumber: target.phoneNumber ?? null,
    codeDigest: null,
    totpSecret: null,
    expiresAt,
    attempts: 0,
  }
  const result: Record<string, unknown> = { session_id: id, method: target.method, expires_at: expiresAt }
  if (target.method === MfaMethod.Totp) {
    if (ctx.totp === undefined) return refuse('method_unsupported', 400)
    const { issuer, algorithm, period } = ctx.totp
    const secret = base32Encode(generateTotpSecret(algorithm))
    await ctx.store.putSession({ ...session, totpSecret: secret })
    const uri = otpauthUri({ secret, issuer, account: userId, options: { algorithm, period } })
    result['totp'] = { otpauth_uri: uri, secret }
  } else {
    const sender = ctx.senders[target.method]
    if (sender === undefined) return refuse('method_unsupported', 400)
    const code = generateOtp()
    await ctx.store.putSession({ ...session, codeDigest: await codeDigest(id, code) })
    const to = (target.method === MfaMethod.Email ? target.email : target.phoneNumber) as string
    try {
      await sender({
        method: target.method,
        to,
        code,
        userId,
        spId: ctx.spId,
        expiresAt: new Date(expiresAt * 1000),
      })
    } catch (error) {
      await ctx.store.takeSession(ctx.spId, id)
      ctx.emit({ type: 'failure', code: 'ERR_OTP_DELIVERY_FAILED', spId: ctx.spId, error })
      return refuse('delivery_failed', 502)
    }
  }
  ctx.emit({ type: 'mfa_change_started', spId: ctx.spId, userId, method: target.method })
  return { status: 200, result }
}

async function codeMatches(
  session: MfaChangeSessionRecord,
  otp: string,
  ctx: OperationContext,
): Promise<boolean> {
  if (session.method === MfaMethod.Totp) {
    if (session.totpSecret === null || ctx.totp === undefined) return false
    const { algorithm, period, window } = ctx.totp
    const step = await verifyTotp(base32Decode(session.totpSecret), otp, ctx.now, {
      algorithm,
      period,
      window,
    })
    return step !== undefined
  }
  return session.codeDigest !== null && digestsEqual(await codeDigest(session.id, otp), session.codeDigest)
}

async function verify(ctx: OperationContext, params: Record<string, unknown>): Promise<Outcome> {
  const userId = checkUserId(params['user_id'], 'user_id')
  const sessionId = checkSessionId(params['session_id'], 'session_id')
  const otp = checkOtp(params['otp'], 'otp')
  // The attempt is counted, atomically, before the code is looked at: concurrent guesses each get
  // their own count, and only those within the limit are ever compared. Reading the count and
  // recording a failure after the comparison let every guess in flight be compared.
  // Another user's session id is answered like an unknown one, and costs its owner no attempt.
  const session = await ctx.store.recordAttempt(ctx.spId, sessionId, userId)
  if (session === undefined) return refuse('session_expired', 400)
  if (session.expiresAt <= ctx.now) {
    await ctx.store.takeSession(ctx.spId, sessionId)
    return refuse('session_expired', 400)
  }
  // Over the limit: closed without comparing (the attempt that reached it closes it too).
  if (session.attempts > ctx.maxAttempts) {
    await ctx.store.takeSession(ctx.spId, sessionId)
    return refuse('too_many_attempts', 429)
  }
  if (!(await codeMatches(session, otp, ctx))) {
    if (session.attempts >= ctx.maxAttempts) {
      await ctx.store.takeSession(ctx.spId, sessionId)
      return refuse('too_many_attempts', 429)
    }
    return refuse('otp_invalid', 400, { attempts_remaining: ctx.maxAttempts - session.attempts })
  }
  // Single use: of two concurrent right answers, only the one that takes the session wins, and
  // what is stored is the session it took.
  const taken = await ctx.store.takeSession(ctx.spId, sessionId)
  if (taken === undefined) return refuse('session_expired', 400)
  const record: CredentialRecord = {
    method: taken.method,
    email: taken.email,
    phoneNumber: taken.phoneNumber,
    totpSecret: taken.totpSecret,
    updatedAt: ctx.now,
  }
  await ctx.store.putCredentials(ctx.spId, userId, record)
  ctx.emit({ type: 'mfa_changed', spId: ctx.spId, userId, method: taken.method })
  return { status: 200, result: credentialsView(userId, record) }
}

async function credentials(ctx: OperationContext, params: Record<string, unknown>): Promise<Outcome> {
  const userId = checkUserId(params['user_id'], 'user_id')
  return { status: 200, result: credentialsView(userId, await ctx.store.getCredentials(ctx.spId, userId)) }
}

const OPERATIONS = { initiateMfaChange: initiate, verifyMfaChange: verify, getUserCredentials: credentials }

/** Runs `operation` with the request's `params`; invalid parameters are refused `invalid_params`. */
export async function runOperation(
  operation: DelegationOperation,
  params: unknown,
  ctx: OperationContext,
): Promise<Outcome> {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return refuse('invalid_params', 400)
  const record = params as Record<string, unknown>
  if (Object.keys(record).some((name) => !PARAMS[operation].has(name))) return refuse('invalid_params', 400)
  try {
    return await OPERATIONS[operation](ctx, record)
  } catch (error) {
    if (error instanceof DelegationInputError) return refuse('invalid_params', 400)
    throw error
  }
}
