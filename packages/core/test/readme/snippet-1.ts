// Generated from README.md: do not edit.
import { authenticate, createTokenVerifier, describeAuthError, isAuthError } from '@org/auth-core'

const verifier = createTokenVerifier({
  issuer: 'https://idp.example.com', // exact `iss`
  audience: 'https://api.example.com', // `aud` must contain it
  discovery: true, // or jwks: 'https://…/jwks', or publicKey: PEM / JWK
  tokenType: 'access', // RFC 9068: require typ "at+jwt"
})

export async function handle(request: Request): Promise<Response> {
  try {
    const auth = await authenticate(verifier, request.headers.get('authorization'))
    return Response.json({ sub: auth.claims.sub, scopes: auth.scopes })
  } catch (error) {
    if (!isAuthError(error)) throw error
    const { status, headers, body } = describeAuthError(error, { realm: 'api' })
    return Response.json(body, { status, headers })
  }
}
export {}
