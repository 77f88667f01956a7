import { AuthError } from '@org/auth-core'

/**
 * A memory store is at its bound (`maxUsers`, `maxEntries`) and refuses to forget state that
 * still matters. The service answers `server_error` (delegation store) or `temporarily_unavailable`
 * (replay store, failing closed) and reports it in a `failure` event.
 */
export class DelegationStoreFullError extends AuthError {
  constructor(message: string) {
    super('ERR_DELEGATION_STORE_FULL', message, 503)
  }
}
