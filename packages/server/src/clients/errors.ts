import { AuthError } from '@org/auth-core'

/**
 * The client registry refused a call: invalid metadata (`ERR_CLIENT_NAME`, `ERR_CLIENT_GRANT_TYPE`,
 * `ERR_CLIENT_SCOPE`, `ERR_CLIENT_AUDIENCE`, `ERR_CLIENT_REDIRECT_URI`, `ERR_CLIENT_OWNER`,
 * `ERR_CLIENT_TYPE`, `ERR_CLIENT_GRACE_PERIOD`, `ERR_CLIENT_AUTH_METHOD`, `ERR_CLIENT_JWKS`: 400; also
 * `ERR_CLIENT_AUTH_METHOD` for a secret rotation of a `private_key_jwt` client), an unknown client (`ERR_CLIENT_NOT_FOUND`, 404),
 * a public client asked to rotate a secret (`ERR_CLIENT_PUBLIC`, 400), a disabled one
 * (`ERR_CLIENT_DISABLED`, 409), a change that lost a race (`ERR_CLIENT_CONFLICT`, 409), or a full
 * memory store (`ERR_CLIENT_STORE_FULL`, 503). Messages name the field, never a secret.
 */
export class ClientRegistryError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    const prototype = ClientRegistryError.prototype
    Object.defineProperty(prototype, 'name', {
      value: 'ClientRegistryError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-server/ClientRegistryError',
    })
  }
  constructor(code: string, message: string, status = 400) {
    super(code, message, status)
  }
}
