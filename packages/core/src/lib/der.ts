/**
 * Just enough DER to read a SubjectPublicKeyInfo (RFC 5280 §4.1) out of a PEM public key or
 * X.509 certificate, synchronously. That lets a verifier reject a malformed or unsupported key
 * when it is created; the actual import happens later through Web Crypto.
 */

interface Element {
  tag: number
  /** Offset of the tag byte. */
  offset: number
  /** Offset of the first content byte. */
  start: number
  /** Offset one past the last content byte. */
  end: number
}

export class DerError extends Error {}

function read(bytes: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new DerError('truncated DER')
  const tag = bytes[offset] as number
  let length = bytes[offset + 1] as number
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || start + count > limit) throw new DerError('bad DER length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] as number)
    start += count
  }
  const end = start + length
  if (end > limit) throw new DerError('DER element overruns its container')
  return { tag, offset, start, end }
}

function children(bytes: Uint8Array, parent: Element): Element[] {
  const out: Element[] = []
  for (let offset = parent.start; offset < parent.end; ) {
    const element = read(bytes, offset, parent.end)
    out.push(element)
    offset = element.end
  }
  return out
}

function expect(element: Element | undefined, tag: number, what: string): Element {
  if (element === undefined || element.tag !== tag) throw new DerError(`expected ${what}`)
  return element
}

const SEQUENCE = 0x30
const OID = 0x06
const BIT_STRING = 0x03
const INTEGER = 0x02

function hex(bytes: Uint8Array, element: Element): string {
  let out = ''
  for (let i = element.start; i < element.end; i++) out += (bytes[i] as number).toString(16).padStart(2, '0')
  return out
}

const RSASSA_PSS_OID = '2a864886f70d01010a'
const KEY_ALGORITHMS: Record<string, { kty: 'RSA' | 'EC' | 'OKP'; crv?: string }> = {
  '2a864886f70d010101': { kty: 'RSA' },
  '2a8648ce3d0201': { kty: 'EC' },
  '2b6570': { kty: 'OKP', crv: 'Ed25519' },
  '2b6571': { kty: 'OKP', crv: 'Ed448' },
}
const CURVES: Record<string, string> = {
  '2a8648ce3d030107': 'P-256',
  '2b81040022': 'P-384',
  '2b81040023': 'P-521',
}

export interface SpkiInfo {
  kty: 'RSA' | 'EC' | 'OKP'
  crv?: string
  /** RSA modulus length in bits. */
  modulusBits?: number
  /** The SubjectPublicKeyInfo bytes, ready for `importSPKI`. */
  spki: Uint8Array
}

function parseSpkiElement(bytes: Uint8Array, spki: Element): SpkiInfo {
  const [algorithm, publicKey] = children(bytes, expect(spki, SEQUENCE, 'SubjectPublicKeyInfo'))
  const [oid, parameters] = children(bytes, expect(algorithm, SEQUENCE, 'AlgorithmIdentifier'))
  const oidHex = hex(bytes, expect(oid, OID, 'algorithm OID'))
  // Web Crypto cannot import id-RSASSA-PSS SPKI: refuse it here rather than fail every request.
  if (oidHex === RSASSA_PSS_OID)
    throw new DerError('id-RSASSA-PSS keys are unsupported; export it as rsaEncryption SPKI')
  const known = KEY_ALGORITHMS[oidHex]
  if (known === undefined) throw new DerError('unsupported key algorithm')
  const info: SpkiInfo = { ...known, spki: bytes.slice(spki.offset, spki.end) }
  const bits = expect(publicKey, BIT_STRING, 'subjectPublicKey')
  if (known.kty === 'EC') {
    const curve = CURVES[hex(bytes, expect(parameters, OID, 'EC curve OID'))]
    if (curve === undefined) throw new DerError('unsupported EC curve')
    info.crv = curve
  } else if (known.kty === 'RSA') {
    // BIT STRING content: one "unused bits" byte, then RSAPublicKey ::= SEQUENCE { n, e }.
    const rsa = read(bytes, bits.start + 1, bits.end)
    const [modulus] = children(bytes, expect(rsa, SEQUENCE, 'RSAPublicKey'))
    const n = expect(modulus, INTEGER, 'RSA modulus')
    let length = n.end - n.start
    if (bytes[n.start] === 0) length -= 1
    info.modulusBits = length * 8
  }
  return info
}

/** Reads a DER SubjectPublicKeyInfo. Throws {@link DerError} on anything else. */
export function parseSpki(der: Uint8Array): SpkiInfo {
  const root = read(der, 0, der.length)
  if (root.end !== der.length) throw new DerError('trailing bytes after SubjectPublicKeyInfo')
  return parseSpkiElement(der, root)
}

/** Reads the SubjectPublicKeyInfo out of a DER X.509 certificate. */
export function parseCertificateSpki(der: Uint8Array): SpkiInfo {
  const root = read(der, 0, der.length)
  const [tbs] = children(der, expect(root, SEQUENCE, 'Certificate'))
  const fields = children(der, expect(tbs, SEQUENCE, 'TBSCertificate'))
  // version [0] EXPLICIT is optional; then serial, signature, issuer, validity, subject, spki.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0
  return parseSpkiElement(der, expect(fields[offset + 5], SEQUENCE, 'subjectPublicKeyInfo'))
}
