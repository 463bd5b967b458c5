/**
 * Random bytes for ids, tokens and IVs, taken from a pool that the operating system's CSPRNG
 * fills 4 KiB at a time (the technique of Node's own `crypto.randomUUID`).
 *
 * Each `crypto.randomBytes` call is a job of its own with its allocations and checks: ~5 µs when
 * hot, several times that in a request's cold path. A login callback takes three (the new
 * session's id, the device id, the IV of the encrypted refresh token); from the pool they cost a
 * copy each. With the device cookie written without Express's `res.cookie`, this took about 0.08
 * off the login callback's ratio to openid-client's grant on Node 20 in paired runs
 * (bench/login.ts, docs/benchmarks.md).
 *
 * Every byte is handed out once and wiped from the pool as it goes, so the pool never holds an id
 * already in use.
 */
import { randomFillSync } from 'node:crypto'

const POOL_BYTES = 4096
const pool = Buffer.alloc(POOL_BYTES)
let offset = POOL_BYTES

/** `size` (at most 4 KiB) fresh random bytes from the CSPRNG, in a Buffer of their own. */
export function randomBytesPooled(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0 || size > POOL_BYTES) throw new RangeError(`size must be 0–${POOL_BYTES}`)
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const out = Buffer.from(pool.subarray(offset, offset + size))
  pool.fill(0, offset, offset + size)
  offset += size
  return out
}
