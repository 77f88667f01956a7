/**
 * Keys and ids that break naive storage: non-ASCII text, SQL metacharacters, NUL bytes, lone
 * surrogates (which UTF-8 cannot carry: an encoder that replaces them merges distinct ids),
 * Redis hash-tag braces and separators. All distinct; each must stay distinct in the store.
 */
export const HOSTILE_KEYS: readonly string[] = [
  'plain',
  'ключ-🔑-鍵',
  "'; DROP TABLE sessions; --",
  '%_\\',
  'a\u0000b',
  'a\u0000c',
  'a',
  'a\uD800',
  'a\uDC00',
  '{tag}:x',
  '{tag}',
  'a:b',
  'a%003ab',
]
