import { AuthError } from '@org/auth-core'

/**
 * The key ring refused a call or a stored key: an invalid key-encryption key (`ERR_KEK_INVALID`,
 * 500), a key encrypted under another one (`ERR_KEK_MISMATCH`, 500), a record that does not
 * decrypt or whose parts do not match its `kid` (`ERR_KEY_TAMPERED`, 500), a stored form this
 * version cannot read (`ERR_KEY_FORMAT`, 500), an algorithm or option out of range
 * (`ERR_KEY_ALGORITHM`, `ERR_KEY_OPTIONS`, 500), an unknown key (`ERR_KEY_NOT_FOUND`, 404), no key
 * signing now (`ERR_KEY_NONE_ACTIVE`, 503) or a full memory store (`ERR_KEY_STORE_FULL`, 503).
 * Messages name the `kid` (public) at most, never key material or the key-encryption key.
 */
export class KeyRingError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    const prototype = KeyRingError.prototype
    Object.defineProperty(prototype, 'name', { value: 'KeyRingError', writable: true, configurable: true })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-server/KeyRingError',
    })
  }
  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(code, message, status, undefined, options)
  }
}
