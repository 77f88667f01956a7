/** A body that may be streamed: a Web `Request` or `Response` (or anything shaped like one). */
export interface BodyLike {
  readonly headers: { get(name: string): string | null }
  readonly body?: ReadableStream<Uint8Array> | null
}

/**
 * Reads a whole body, refusing it with `tooLarge()` as soon as it passes `maxBytes`: from the
 * declared `content-length` before reading, else while it streams (a lying or absent length
 * cannot make it buffer more). The stream is cancelled on refusal.
 */
export async function readCapped(
  message: BodyLike,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (Number(message.headers.get('content-length')) > maxBytes) {
    await message.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  const reader = message.body?.getReader()
  if (reader === undefined) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
