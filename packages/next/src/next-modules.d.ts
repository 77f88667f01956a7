/**
 * The adapter imports `next/headers`, `next/navigation` and `next/server` without an extension:
 * Next's bundlers alias exactly those specifiers to the build of each module for the server or
 * edge layer (Turbopack fails on `next/navigation.js`, which pulls the client build into a
 * Server Component). Next has no `exports` map, so TypeScript's NodeNext resolution (this
 * repository's, and Turbopack's for `.js` → `.ts` imports) finds them only with `.js`: these
 * declarations give the bare specifiers the types of the files. Referenced from the files that
 * import them, so any program that compiles those files sees it.
 */
declare module 'next/headers' {
  export * from 'next/headers.js'
}
declare module 'next/navigation' {
  export * from 'next/navigation.js'
}
declare module 'next/server' {
  export * from 'next/server.js'
}
