/**
 * Client authentication at the token server's endpoints (token, and later introspection and
 * revocation): reads the credentials of the one method the request used, checks the throttle,
 * verifies them, and counts a failure (throttle.ts says why in that order). Every failure,
 * whatever its cause, is the same `invalid_client`.
 */
import type { ClientRecord } from '../clients/store.js'
import { verifyAssertion } from './assertion.js'
import type { TokenServerRequest } from './exchange.js'
import type { ResolvedTokenServer } from './options.js'
import { clientCredentials, type TokenParams } from './request.js'
import { TokenRequestError } from './respond.js'
import { checkAttempt, countFailure } from './throttle.js'

/** The authenticated client, or a thrown `invalid_client` (401, or 429 while throttled). */
export async function authenticateClient(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
  params: TokenParams,
): Promise<ClientRecord> {
  const credentials = clientCredentials(request, params)
  const attempt = await checkAttempt(server, credentials.clientId, request.clientAddress())
  const client =
    credentials.method === 'private_key_jwt'
      ? // Only clients registered for private_key_jwt, and only with their own keys.
        await verifyAssertion(server, credentials.clientId, credentials.assertion)
      : // Unknown, disabled, public, private_key_jwt and wrong-secret clients all come back
        // undefined after equal work.
        await server.clients.verifySecret(credentials.clientId, credentials.clientSecret)
  if (client === undefined) {
    const overLimit = await countFailure(server, attempt)
    if (overLimit !== undefined) throw overLimit
    // Made only here: an error captures a stack, which the successful path has no use for.
    throw new TokenRequestError(
      'invalid_client',
      'Client authentication failed',
      401,
      credentials.method === 'client_secret_basic' ? { 'www-authenticate': 'Basic realm="token"' } : {},
    )
  }
  return client
}
