/**
 * Writing key files without trusting what is already at the path. `writeFileSync(path, pem,
 * { mode })` applies `mode` only when it creates the file (an existing 0644 file stays 0644 with
 * a private key in it) and follows a symlink planted at the path (writing the key wherever it
 * points). Here a file is only ever created with O_EXCL, which refuses anything at the path,
 * symlinks included, and its mode is set on the open descriptor. An overwrite goes through a
 * fresh temporary file in the same directory, renamed over the target: `rename` replaces a
 * symlink itself and never writes through it.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** True when anything is at `path`: a file, a directory, or a symlink (even a dangling one). */
export function occupied(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

// O_NOFOLLOW is redundant with O_EXCL on POSIX; it is absent on Windows.
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)

/** Creates `path`, which must not exist, with exactly `mode` (whatever the umask) and `content`. */
function createFile(path: string, content: string, mode: number): void {
  const fd = openSync(path, CREATE_NEW, mode)
  try {
    fchmodSync(fd, mode)
    writeFileSync(fd, content)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    // O_EXCL made this file ours: removing it removes nothing of anyone else's.
    rmSync(path, { force: true })
    throw error
  }
  closeSync(fd)
}

/**
 * Writes `content` to `path` with exactly `mode`. Without `replace`, anything already at `path`
 * is an error (EEXIST), atomically. With it, whatever is there (a file of any mode, a symlink) is
 * replaced, never written through; a directory is an error.
 */
export function writeKeyFile(path: string, content: string, mode: number, replace: boolean): void {
  if (!replace) {
    createFile(path, content, mode)
    return
  }
  // Unpredictable, and created with O_EXCL: a symlink planted at a temporary name is refused,
  // not followed.
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(12).toString('hex')}.tmp`)
  createFile(temporary, content, mode)
  try {
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}
