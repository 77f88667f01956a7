import { AuthError } from '@org/auth-core'

/**
 * A memory store is at its bound (`maxUsers`, `maxEntries`) and refuses to forget state that
 * still matters. The service answers `server_error` (delegation store) or `temporarily_unavailable`
 * (replay store, failing closed) and reports it in a `failure` event.
 */
export class DelegationStoreFullError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    const prototype = DelegationStoreFullError.prototype
    Object.defineProperty(prototype, 'name', {
      value: 'DelegationStoreFullError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-server/DelegationStoreFullError',
    })
  }
  constructor(message: string) {
    super('ERR_DELEGATION_STORE_FULL', message, 503)
  }
}
