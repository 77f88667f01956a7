/**
 * Secrets that must never seal production cookies: values published in documentation and demos
 * (anyone can forge a session with them) and values with too little variety to be random. Checked
 * when `NODE_ENV=production`; development keeps working with fixed, known secrets.
 */

/** Example values from this toolkit's READMEs and quickstarts. */
const PUBLISHED = new Set(['a-random-secret-of-at-least-32-characters'])
/** Markers that name a value as a development one (the demos' fallback secrets carry them). */
const DEVELOPMENT_MARKERS = /not-for-production|development-secret|changeme|change-me|replace-me/i
/**
 * Fewest distinct characters a random secret of 32+ characters shows: 32 random hex digits have
 * fewer than 10 distinct ones with a probability below one in a million.
 */
const MIN_DISTINCT_CHARACTERS = 10

/** Why `secret` is unfit for production, or `undefined` when nothing is known against it. */
export function weakness(secret: string): string | undefined {
  if (PUBLISHED.has(secret)) return 'is an example value published in the documentation'
  if (DEVELOPMENT_MARKERS.test(secret)) return 'is marked as a development value'
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS) return 'has too few distinct characters to be random'
  return undefined
}
