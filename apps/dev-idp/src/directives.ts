/**
 * Request headers by which the user-side drivers (authorize(), getIdToken(), approveDevice())
 * steer one interaction. A request carrying any of them is completed automatically, without the
 * HTML pages; a real browser never sends them and gets the login and consent pages. Headers
 * travel with that driver's own requests only, so concurrent flows cannot pick up each other's choices.
 */
export const DIRECTIVE_HEADERS = {
  /** '1': complete login and consent automatically (every driver request sends it). */
  auto: 'x-dev-idp-auto',
  /** Account to log in, overriding `login_hint`. */
  sub: 'x-dev-idp-sub',
  /** '1': refuse consent (access_denied) instead of granting it. */
  deny: 'x-dev-idp-deny',
  /** The `acr` the login completes with, whatever was requested (a provider ignoring `acr_values`). */
  acr: 'x-dev-idp-acr',
} as const
