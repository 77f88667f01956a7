/**
 * Readable names of common passkey providers by AAGUID, so a credential lists as "iCloud
 * Keychain" rather than a hex id. Partial on purpose: a small bundled subset of the community
 * list at https://github.com/passkeydeveloper/passkey-authenticator-aaguids (no network, no
 * metadata service). Pass `providerNames` to `createPasskeys` to add or override entries.
 */
export const KNOWN_PROVIDERS: Readonly<Record<string, string>> = Object.freeze({
  'fbfc3007-154e-4ecc-8c0b-6e020557d7bd': 'iCloud Keychain',
  'dd4ec289-e01d-41c9-bb89-70fa845d4bf2': 'iCloud Keychain (Managed)',
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': 'Google Password Manager',
  'adce0002-35bc-c60a-648b-0b25f1f05503': 'Chrome on Mac',
  '771b48fd-d3d4-4f74-9232-fc157ab0507a': 'Edge on Mac',
  '08987058-cadc-4b81-b6e1-30de50dcbe96': 'Windows Hello',
  '9ddd1817-af5a-4672-a2b9-3e3dd95000a9': 'Windows Hello',
  '6028b017-b1d4-4c02-b4b3-afcdafc96bb2': 'Windows Hello',
  '53414d53-554e-4700-0000-000000000000': 'Samsung Pass',
  'bada5566-a7aa-401f-bd96-45619a55120d': '1Password',
  'd548826e-79b4-db40-a3d8-11116f7e8349': 'Bitwarden',
  '531126d6-e717-415c-9320-3d9aa6981239': 'Dashlane',
  'b78a0a55-6ef8-d246-a042-ba0f6d55050c': 'LastPass',
  '0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6': 'Keeper',
  'fdb141b2-5d84-443e-8a35-4698c205a502': 'KeePassXC',
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5 Series',
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5 Series',
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': 'YubiKey 5 Series',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 Series',
  'c5ef55ff-ad9a-4b9f-b580-adebafe026d0': 'YubiKey 5 Series',
  '73bb0cd4-e502-49b8-9c6f-b59445bf720b': 'YubiKey 5 Series',
})

/** The all-zero AAGUID: the authenticator did not say what it is (attestation `none` often). */
export const UNKNOWN_AAGUID = '00000000-0000-0000-0000-000000000000'

/** The provider's readable name, `undefined` when the AAGUID is unknown or all zeros. */
export function providerName(
  aaguid: string,
  extra: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const key = aaguid.toLowerCase()
  if (key === UNKNOWN_AAGUID) return undefined
  return (
    (extra !== undefined && Object.hasOwn(extra, key) ? extra[key] : undefined) ??
    (Object.hasOwn(KNOWN_PROVIDERS, key) ? KNOWN_PROVIDERS[key] : undefined)
  )
}
