/**
 * The passkeys page's browser script, served as `/passkeys/client.js` (a module; the page loads
 * @simplewebauthn/browser's bundle before it, as the global `SimpleWebAuthnBrowser`). Every call
 * goes to the demo's own `/passkeys/*` routes with `fetch` (same origin: the browser sends
 * `Sec-Fetch-Site: same-origin`, which the routes require).
 */
export const PASSKEY_SCRIPT = `const { startRegistration, startAuthentication, browserSupportsWebAuthnAutofill, WebAuthnAbortService } =
  globalThis.SimpleWebAuthnBrowser
const BASE = '/passkeys'
const status = document.getElementById('passkey-status')
const say = (text) => { if (status) status.textContent = text }

async function call(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = await response.json().catch(() => ({}))
  if (!response.ok) {
    const error = new Error(json.error || 'HTTP ' + response.status)
    // ERR_PASSKEY_REAUTHENTICATION_REQUIRED: adding or removing a passkey needs a recent sign-in.
    if (typeof json.login === 'string') error.login = json.login
    throw error
  }
  return json
}

async function signIn(useBrowserAutofill) {
  const optionsJSON = await call('POST', '/authenticate/options')
  const answer = await startAuthentication({ optionsJSON, useBrowserAutofill })
  const { user } = await call('POST', '/authenticate/verify', answer)
  say('Signed in as ' + user.sub)
  location.assign(BASE)
}

async function refreshList() {
  const list = document.getElementById('passkey-list')
  if (!list) return
  const { credentials } = await call('GET', '/credentials?pageSize=50')
  list.replaceChildren(
    ...credentials.map((credential) => {
      const item = document.createElement('li')
      item.dataset.id = credential.id
      const label = document.createElement('span')
      label.className = 'passkey-name'
      label.textContent = credential.name || credential.providerName || 'Passkey'
      const provider = document.createElement('small')
      provider.textContent = ' ' + (credential.providerName || 'unknown provider') + ' '
      const name = document.createElement('input')
      name.className = 'rename-name'
      name.value = credential.name || ''
      name.setAttribute('aria-label', 'New name')
      const rename = document.createElement('button')
      rename.className = 'rename'
      rename.textContent = 'Rename'
      rename.onclick = () => run(async () => {
        await call('PATCH', '/credentials/' + encodeURIComponent(credential.id), { name: name.value })
        say('Renamed')
        await refreshList()
      })
      const remove = document.createElement('button')
      remove.className = 'delete'
      remove.textContent = 'Delete'
      remove.onclick = () => run(async () => {
        const { deleted, rpId } = await call('DELETE', '/credentials/' + encodeURIComponent(credential.id))
        // Keep the browser's and the password manager's passkey lists in sync (WebAuthn Signal API).
        if (typeof PublicKeyCredential !== 'undefined' && PublicKeyCredential.signalUnknownCredential) {
          await PublicKeyCredential.signalUnknownCredential({ rpId, credentialId: deleted }).catch(() => {})
        }
        say('Deleted')
        await refreshList()
      })
      item.append(label, provider, name, rename, remove)
      return item
    }),
  )
}

async function run(task) {
  try {
    await task()
  } catch (error) {
    if (error && error.login) {
      say('Sign in again to change your passkeys: ')
      const link = document.createElement('a')
      link.href = error.login
      link.textContent = 'sign in'
      status?.append(link)
      return
    }
    say('Failed: ' + (error && error.message ? error.message : String(error)))
  }
}

const on = (id, task) => {
  const element = document.getElementById(id)
  if (element) element.addEventListener('click', () => run(task))
}

on('passkey-signin', async () => {
  WebAuthnAbortService.cancelCeremony() // the autofill request waiting in the background
  await signIn(false)
})
on('passkey-register', async () => {
  const optionsJSON = await call('POST', '/register/options')
  const answer = await startRegistration({ optionsJSON })
  await call('POST', '/register/verify', answer)
  say('Passkey added')
  await refreshList()
})
on('passkey-step-up', async () => {
  const optionsJSON = await call('POST', '/step-up/options')
  const { user } = await call('POST', '/step-up/verify', await startAuthentication({ optionsJSON }))
  document.getElementById('amr').textContent = JSON.stringify(user.amr)
  say('Confirmed at ' + new Date(user.auth_time * 1000).toLocaleTimeString())
})
on('tx-approve', async () => {
  const text = document.getElementById('tx-text').value
  const optionsJSON = await call('POST', '/transaction/options', { text })
  const approved = await call('POST', '/transaction/verify', await startAuthentication({ optionsJSON }))
  document.getElementById('tx-result').textContent = 'Approved: ' + approved.text
})

if (document.getElementById('passkey-list')) run(refreshList)
// Signed out: offer the passkeys in the username field's autofill (conditional mediation), unless
// the page is opened with ?autofill=off (the browser tests' way to press the button instead).
const autofill = new URLSearchParams(location.search).get('autofill') !== 'off'
if (autofill && document.getElementById('passkey-autofill') && (await browserSupportsWebAuthnAutofill())) {
  signIn(true).catch((error) => {
    if (error && error.name !== 'AbortError') say('Failed: ' + error.message)
  })
}
`
