/** The session servers: every module in `servers/`, in file-name order. */
import { readdirSync } from 'node:fs'
import type { SessionServer } from './types.js'

const DIR = new URL('./servers/', import.meta.url)

export async function loadServers(): Promise<SessionServer[]> {
  const files = readdirSync(DIR)
    .filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))
    .sort()
  const modules = await Promise.all(
    files.map(async (file) => {
      const module = (await import(new URL(file, DIR).href)) as { servers?: SessionServer[] }
      if (!Array.isArray(module.servers)) throw new Error(`servers/${file} exports no "servers" list`)
      return module.servers
    }),
  )
  const all = modules.flat()
  const names = new Set<string>()
  for (const server of all) {
    if (names.has(server.name)) throw new Error(`Two session servers are named "${server.name}"`)
    names.add(server.name)
  }
  return all
}
