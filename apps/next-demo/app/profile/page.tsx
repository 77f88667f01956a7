import { callApis } from '@org/demo-ui'
import { Fragment } from 'react'
import { internalOrigin, nextAuth } from '../../lib/auth.js'
import { LogoutButton } from '../logout-button.js'

/**
 * Calls the demo's own protected API server-side with the session's access token (which never
 * reaches the browser). The proxy also guards this page, but the page does not rely on it.
 */
export default async function Profile() {
  const session = await nextAuth.requireSession('/profile')
  const calls = await callApis(internalOrigin, session.accessToken)
  return (
    <>
      <h1>API calls with your access token</h1>
      <p>
        The server called its own protected API with the access token of <code>{session.user.sub}</code>
        &apos;s session (the token never reaches the browser).
      </p>
      {calls.map((call, index) => (
        <Fragment key={call.label}>
          <h2>
            {call.label} <small>({call.requires})</small>
          </h2>
          <p>
            Status:{' '}
            <span className="status" id={`status-${index}`}>
              {call.status}
            </span>
          </p>
          <pre id={`body-${index}`}>{JSON.stringify(call.body, null, 2)}</pre>
        </Fragment>
      ))}
      <LogoutButton path={nextAuth.auth().paths.logout} />
    </>
  )
}
