/**
 * What the recorded ceremonies were issued with (scripts/record-fixtures.ts): replaying them
 * means issuing the same challenges, so the tests use the same clock and nonce sequence.
 */
export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
export const FIXTURE_USER = { id: 'user-7f3a', name: 'ada@example.com', displayName: 'Ada Lovelace' }
export const FIXTURE_TEXT = 'Pay $5 to Bob?'

/** Nonce n (n = 1, 2, …) is 16 bytes of n: registration, then sign-in, then transaction. */
export function fixtureRandom(): (length: number) => Uint8Array {
  let n = 0
  return (length) => new Uint8Array(length).fill(++n)
}
