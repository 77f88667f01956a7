import type { OAuthClient } from '../oauth/client.js'

/**
 * Revokes a grant this application will not keep (a login refused, a refresh that lost the race
 * with a revocation) at the provider's revocation endpoint (RFC 7009), best effort: the local
 * session is gone either way, and the token expires on its own.
 */
export async function revokeQuietly(
  client: () => Promise<OAuthClient>,
  token: string,
  hint: 'refresh_token' | 'access_token' = 'refresh_token',
): Promise<void> {
  try {
    const resolved = await client()
    if (typeof resolved.metadata['revocation_endpoint'] !== 'string') return
    await resolved.revoke(token, hint)
  } catch {
    // Best effort.
  }
}
