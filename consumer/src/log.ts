/**
 * The frameworks are checked side by side, so every printed line says whose it is
 * (`[express] …`): the label travels with the async work of each framework.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

const current = new AsyncLocalStorage<string>()

/** The framework whose work is running, if any. */
export function currentLabel(): string | undefined {
  return current.getStore()
}

/** Runs `fn` with its lines labelled `[label]`. */
export function withLabel<T>(label: string, fn: () => Promise<T>): Promise<T> {
  return current.run(label, fn)
}

/** Prints a line, prefixed with the running framework. */
export function log(line: string): void {
  const label = current.getStore()
  console.log(label ? `[${label}] ${line}` : line)
}
