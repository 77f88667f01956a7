/** Logout is a POST from this origin (the core refuses cross-site logouts). */
export function LogoutButton({ path }: { path: string }) {
  return (
    <form method="post" action={path}>
      <button type="submit" id="logout">
        Log out
      </button>
    </form>
  )
}
