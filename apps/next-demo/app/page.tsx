import { nextAuth } from '../lib/auth.js'
import { LogoutButton } from './logout-button.js'

/** Home: a login link when signed out; the user's claims and a logout button when signed in. */
export default async function Home() {
  // A Server Component: read-only (the proxy has refreshed the session if it was due).
  const session = await nextAuth.getSession()
  const { login, logout } = nextAuth.auth().paths
  if (session === null) {
    return (
      <>
        <h1>Welcome</h1>
        <p id="signed-out">You are signed out.</p>
        <p>
          <a id="login" href={login}>
            Log in
          </a>
        </p>
      </>
    )
  }
  const { user } = session
  return (
    <>
      <h1>Hello, {typeof user.name === 'string' ? user.name : user.sub}</h1>
      <p id="signed-in">
        Signed in as <code id="sub">{user.sub}</code>.
      </p>
      <h2>Your claims</h2>
      <pre id="claims">{JSON.stringify(user, null, 2)}</pre>
      <LogoutButton path={logout} />
    </>
  )
}
