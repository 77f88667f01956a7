import { ConfigurationError } from '../errors.js'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

// A dotted-quad in 127.0.0.0/8, not any name that starts with "127." (127.attacker.example is DNS).
const LOOPBACK_IPV4 = /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/

/** True for a URL hostname that names this machine: localhost, *.localhost, 127.0.0.0/8, [::1]. */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || LOOPBACK_IPV4.test(hostname) || hostname.endsWith('.localhost')
}

/**
 * Parses a URL option and insists on https, except on loopback (local development and tests)
 * or when the caller opts in with `allowInsecureRequests`. Named by `option` in errors.
 */
export function secureUrl(value: unknown, option: string, allowInsecureRequests = false): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch (cause) {
    throw new ConfigurationError(`"${option}" is not a valid URL`, { cause })
  }
  // Credentials in a URL end up in error messages and logs (fetch quotes the URL it refuses).
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError(
      `"${option}" must not carry credentials (user:password@): pass them as headers`,
    )
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && (allowInsecureRequests || isLoopback(url.hostname))) return url
  throw new ConfigurationError(
    `"${option}" must be an https URL (http is allowed on loopback, or with allowInsecureRequests: true)`,
  )
}
