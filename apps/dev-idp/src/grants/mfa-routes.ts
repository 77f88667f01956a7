import type { IncomingMessage, ServerResponse } from 'node:http'
import { MFA_AUTHENTICATORS, safeEqual } from '../accounts.js'
import { clientSecretFor } from '../clients.js'
import { readParams, sendJson } from '../server.js'
import type { MfaState } from './mfa.js'

/** Auth0's MFA API lives next to the token endpoint; these paths are outside oidc-provider's routes. */
export const MFA_PATH = '/mfa/'

/** client_secret_basic or client_secret_post, as Auth0 accepts on /mfa/challenge. */
function authenticatedClientId(req: IncomingMessage, params: Record<string, string>): string | undefined {
  let clientId = params['client_id']
  let secret = params['client_secret']
  const authorization = req.headers.authorization ?? ''
  if (authorization.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) {
      clientId = decodeURIComponent(decoded.slice(0, colon))
      secret = decodeURIComponent(decoded.slice(colon + 1))
    }
  }
  const expected = clientId === undefined ? undefined : clientSecretFor(clientId)
  return expected !== undefined && secret !== undefined && safeEqual(secret, expected) ? clientId : undefined
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  return match?.[1]
}

/** `GET /mfa/authenticators` with `Authorization: Bearer <mfa_token>`. */
function listAuthenticators(req: IncomingMessage, res: ServerResponse, mfa: MfaState): void {
  if (!mfa.find(bearer(req))) {
    sendJson(res, 401, { error: 'invalid_token', error_description: 'Invalid or expired mfa_token.' })
    return
  }
  sendJson(res, 200, MFA_AUTHENTICATORS)
}

/** `POST /mfa/challenge`: otp needs no server action; oob "sends an SMS" and returns its oob_code. */
async function challenge(req: IncomingMessage, res: ServerResponse, mfa: MfaState): Promise<void> {
  const params = await readParams(req)
  const clientId = authenticatedClientId(req, params)
  if (!clientId) {
    sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' })
    return
  }
  const token = params['mfa_token']
  if (!token || !mfa.find(token, clientId)) {
    sendJson(res, 403, { error: 'invalid_grant', error_description: 'Invalid or expired mfa_token.' })
    return
  }
  const type = params['challenge_type']
  const authenticator = params['authenticator_id']
  const known = MFA_AUTHENTICATORS.find((candidate) => candidate.id === authenticator)
  if (authenticator !== undefined && known?.authenticator_type !== type) {
    sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'Unknown authenticator_id for this challenge_type.',
    })
    return
  }
  if (type === 'otp') sendJson(res, 200, { challenge_type: 'otp' })
  else if (type === 'oob') {
    sendJson(res, 200, { challenge_type: 'oob', oob_code: mfa.challengeOob(token), binding_method: 'prompt' })
  } else {
    sendJson(res, 400, {
      error: 'unsupported_challenge_type',
      error_description: 'challenge_type must be otp or oob.',
    })
  }
}

/** Handles everything under MFA_PATH. */
export function createMfaRoutes(mfa: MfaState) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1')
    try {
      if (pathname === '/mfa/authenticators' && req.method === 'GET') listAuthenticators(req, res, mfa)
      else if (pathname === '/mfa/challenge' && req.method === 'POST') await challenge(req, res, mfa)
      else sendJson(res, 404, { error: 'not_found', error_description: `no route ${req.method} ${pathname}` })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request', error_description: message })
    }
  }
}
