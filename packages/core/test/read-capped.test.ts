/**
 * `readCapped`: the bound holds whatever the declared length says, and a refused stream is
 * cancelled rather than read to its end.
 */
import { describe, expect, it } from 'vitest'
import { readCapped } from '../src/index.js'

const tooLarge = () => new Error('too large')

/** A stream of `chunks` that records how many were pulled and whether it was cancelled. */
function counted(chunks: string[]) {
  const state = { pulled: 0, cancelled: false }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[state.pulled++]
      if (next === undefined) controller.close()
      else controller.enqueue(new TextEncoder().encode(next))
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { stream, state }
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('https://app.example/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit)

describe('readCapped', () => {
  it('reads a body up to the bound, chunks joined, and an absent body as empty', async () => {
    const { stream } = counted(['ab', 'cd', 'ef'])
    expect(new TextDecoder().decode(await readCapped(post(stream), 6, tooLarge))).toBe('abcdef')
    expect(await readCapped(post(null), 0, tooLarge)).toEqual(new Uint8Array(0))
    expect(await readCapped(new Response('xyz'), 3, tooLarge)).toEqual(new TextEncoder().encode('xyz'))
  })

  it('refuses a declared length past the bound before reading any of it, and cancels the stream', async () => {
    const { stream, state } = counted(['a'.repeat(10)])
    await expect(readCapped(post(stream, { 'content-length': '100' }), 50, tooLarge)).rejects.toThrow(
      'too large',
    )
    expect(state.pulled).toBeLessThanOrEqual(1)
    expect(state.cancelled).toBe(true)
  })

  it('refuses a streamed body past the bound, whatever a smaller declared length says, and stops reading', async () => {
    const { stream, state } = counted(Array.from({ length: 100 }, () => 'x'.repeat(10)))
    const request = post(stream, { 'content-length': '5' })
    await expect(readCapped(request, 25, tooLarge)).rejects.toThrow('too large')
    expect(state.cancelled).toBe(true)
    expect(state.pulled).toBeLessThan(10)
  })
})
