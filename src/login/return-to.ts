/**
 * Where a login may land afterwards. Only same-origin relative paths pass: `//host` and `/\host`
 * are protocol-relative to browsers, absolute URLs leave the site, control characters can split
 * headers or be stripped by browsers into one of the former.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined
  if (!value.startsWith('/')) return undefined
  if (value.startsWith('//') || value.startsWith('/\\')) return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return undefined
  try {
    // Resolving against a fixed origin must keep that origin (catches encodings browsers normalise).
    const resolved = new URL(value, 'http://authdock.invalid')
    if (resolved.origin !== 'http://authdock.invalid') return undefined
    return resolved.pathname + resolved.search + resolved.hash
  } catch {
    return undefined
  }
}
