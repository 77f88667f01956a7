/**
 * Concurrent requests against a store with network latency: the attempt limit and single use must
 * hold when guesses are in flight together, as they are against a shared Redis or PostgreSQL
 * store. Code comparisons are counted where they happen (the digest comparison for email/SMS,
 * the TOTP check), so the tests see how many guesses were really tried.
 */
import { DelegationRefusedError, MfaMethod } from '@org/auth-core/delegation'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { digestsEqual } from '../src/delegation/otp.js'
import { base32Decode, generateTotp, verifyTotp } from '../src/index.js'
import { type Harness, startHarness, T0 } from './helpers/harness.js'
import { type SlowStore, slowStore } from './helpers/slow-store.js'

vi.mock('../src/delegation/otp.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/delegation/otp.js')>()
  return { ...original, digestsEqual: vi.fn(original.digestsEqual) }
})
vi.mock('../src/totp.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/totp.js')>()
  return { ...original, verifyTotp: vi.fn(original.verifyTotp) }
})

let h: Harness
let slow: SlowStore

beforeEach(() => {
  vi.mocked(digestsEqual).mockClear()
  vi.mocked(verifyTotp).mockClear()
})
afterEach(async () => {
  slow?.release()
  await h?.close()
})

const comparisons = () => vi.mocked(digestsEqual).mock.calls.length + vi.mocked(verifyTotp).mock.calls.length

async function start(): Promise<void> {
  h = await startHarness(
    {},
    {
      wrapStore: (store) => {
        slow = slowStore(store)
        return slow.store
      },
    },
  )
}

/** Six-digit codes in order, skipping every code that would be accepted. */
function wrongCodes(count: number, accepted: readonly string[]): string[] {
  const codes: string[] = []
  for (let n = 0; codes.length < count; n++) {
    const code = String(n).padStart(6, '0')
    if (!accepted.includes(code)) codes.push(code)
  }
  return codes
}

type Settled = { ok: true } | { ok: false; code: string; attemptsRemaining: number | undefined }

const settle = (promise: Promise<unknown>): Promise<Settled> =>
  promise.then(
    () => ({ ok: true }),
    (error) => {
      expect(error).toBeInstanceOf(DelegationRefusedError)
      return { ok: false, code: error.code, attemptsRemaining: error.attemptsRemaining }
    },
  )

describe.each([
  ['an emailed code', MfaMethod.Email],
  ['a TOTP enrolment', MfaMethod.Totp],
])('concurrent guesses at %s', (_, method) => {
  it('counts every guess before comparing: 49 wrong ones in flight, then the right code, is refused', async () => {
    await start()
    const userId = 'mallory-target'
    const session = await h.client.initiateMfaChange(
      method === MfaMethod.Email
        ? { userId, method, email: 'target@example.com' }
        : { userId, method: MfaMethod.Totp },
    )
    let right: string
    let accepted: string[]
    if (method === MfaMethod.Email) {
      right = h.sent.at(-1)?.code as string
      accepted = [right]
    } else {
      const secret = base32Decode(session.totp?.secret as string)
      const now = T0 / 1000
      right = await generateTotp(secret, now)
      accepted = await Promise.all([now - 30, now, now + 30].map((time) => generateTotp(secret, time)))
    }
    const verify = (otp: string) =>
      settle(h.client.verifyMfaChange({ userId, sessionId: session.sessionId, otp }))

    // 49 wrong guesses reach the store together; the right code reaches it after all of them.
    slow.hold()
    const guesses = wrongCodes(49, accepted).map(verify)
    await slow.waiting(49)
    const last = verify(right)
    await slow.waiting(50)
    slow.release()
    const results = await Promise.all(guesses)
    const final = await last

    expect(final).toEqual({ ok: false, code: 'ERR_TOO_MANY_ATTEMPTS', attemptsRemaining: undefined })
    // Every guess was counted once, and only the first maxAttempts (5) were compared.
    expect(h.writes.filter((write) => write.startsWith('recordAttempt'))).toHaveLength(50)
    expect(comparisons()).toBe(5)
    const invalid = results.filter((r) => !r.ok && r.code === 'ERR_OTP_INVALID')
    expect(invalid.map((r) => (r.ok ? 0 : r.attemptsRemaining)).sort()).toEqual([1, 2, 3, 4])
    expect(results.filter((r) => !r.ok && r.code === 'ERR_TOO_MANY_ATTEMPTS')).toHaveLength(45)
    expect(results.some((r) => r.ok)).toBe(false)

    // The session is closed: the right code is now refused too, and nothing was enrolled.
    await expect(
      h.client.verifyMfaChange({ userId, sessionId: session.sessionId, otp: right }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' })
    expect(comparisons()).toBe(5)
    await expect(h.client.getUserCredentials(userId)).resolves.toMatchObject({ mfaMethod: null })
    expect(h.writes.some((write) => write.startsWith('putCredentials'))).toBe(false)
  })

  it('accepts one of several concurrent right answers, and stores the change once', async () => {
    await start()
    const userId = 'twice'
    const session = await h.client.initiateMfaChange(
      method === MfaMethod.Email
        ? { userId, method, email: 'twice@example.com' }
        : { userId, method: MfaMethod.Totp },
    )
    const right =
      method === MfaMethod.Email
        ? (h.sent.at(-1)?.code as string)
        : await generateTotp(base32Decode(session.totp?.secret as string), T0 / 1000)
    slow.hold()
    const answers = Array.from({ length: 5 }, () =>
      settle(h.client.verifyMfaChange({ userId, sessionId: session.sessionId, otp: right })),
    )
    await slow.waiting(5)
    slow.release()
    const results = await Promise.all(answers)
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    for (const r of results.filter((r) => !r.ok)) expect(r).toMatchObject({ code: 'ERR_SESSION_EXPIRED' })
    expect(h.writes.filter((write) => write.startsWith('putCredentials'))).toEqual([
      `putCredentials ${userId} ${method}`,
    ])
  })
})
