/**
 * Where a login may land afterwards. Only same-origin relative paths pass: `//host` and `/\host`
 * are protocol-relative to browsers, absolute URLs leave the site, control characters can split
 * headers or be stripped by browsers into one of the former.
 *
 * The value checked is the value returned: the path is normalised first (dot segments, `%2e`)
 * and the result must pass, because `/.//evil.example` is harmless as written but normalises to
 * `//evil.example`. Its percent-decoded forms must pass too, so that a proxy or a framework that
 * decodes once more (`/%2e%2e%2f%2fevil.example`, `/%252e//evil.example`) cannot turn it into
 * another origin either.
 */
const ORIGIN = 'http://authdock.invalid'
const MAX_LENGTH = 2048
/** Decoding rounds checked beyond the value itself (double and triple encoding). */
const DECODE_ROUNDS = 3

/**
 * The same-origin path to land on after login, normalised, or undefined when `value` is no such
 * path (then the login lands on `paths.afterLogin`).
 *
 * @example
 * safeReturnTo('/tickets?id=1#x') // '/tickets?id=1#x'
 * safeReturnTo('/a/b/../c')       // '/a/c'
 * safeReturnTo('/.//evil.example') // undefined
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined
  const final = normalise(value)
  // A fixed point: redirecting to `final` is exactly what is checked below.
  if (final === undefined || final.length > MAX_LENGTH || normalise(final) !== final) return undefined
  const forms = [value, final]
  let decoded = final
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    const next = decodeOnce(decoded)
    if (next === undefined || next === decoded) break
    forms.push(next)
    decoded = next
  }
  return forms.every(staysLocal) ? final : undefined
}

/**
 * The form is a local path and still is once resolved; the same for its NFKC form, which folds
 * fullwidth `／` and `＼` into the ASCII characters some software reads them as.
 */
function staysLocal(form: string): boolean {
  return [form, form.normalize('NFKC')].every((candidate) => {
    if (!isLocalPath(candidate)) return false
    const resolved = normalise(candidate)
    return resolved !== undefined && isLocalPath(resolved)
  })
}

/** One `/` not followed by `/` or `\`, no backslash, no control or other invisible separator. */
function isLocalPath(value: string): boolean {
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return false
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f-\u009f\\\u2028\u2029]/.test(value)
}

/** Path, query and fragment as a browser resolves them against this origin; undefined if it leaves it. */
function normalise(value: string): string | undefined {
  try {
    const resolved = new URL(value, ORIGIN)
    if (resolved.origin !== ORIGIN) return undefined
    return resolved.pathname + resolved.search + resolved.hash
  } catch {
    return undefined
  }
}

function decodeOnce(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    // A lone `%`: a decoder stops here too, so the forms checked so far are all there is.
    return undefined
  }
}
