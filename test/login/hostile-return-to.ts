/**
 * returnTo values an attacker tries to turn into a redirect to another origin, shared by the unit
 * test of safeReturnTo and the tests that send them through every entry point of a login.
 */
export const HOSTILE_RETURN_TO: readonly string[] = [
  // absolute and scheme-relative
  'https://evil.example/x',
  'http:evil.example',
  'http:/evil.example',
  '//evil.example/x',
  '///evil.example/x',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  // dot segments that normalise to //host
  '/.//evil.example/x',
  '/..//evil.example/x',
  '/a/..//evil.example/x',
  '/a/b/../..//evil.example',
  '/././/evil.example',
  // percent-encoded dots, either case
  '/%2e//evil.example/x',
  '/%2E//evil.example/x',
  '/%2e%2e//evil.example/x',
  '/a/%2E%2E//evil.example',
  '/.%2e//evil.example',
  // encoded slashes and backslashes
  '/%2f/evil.example',
  '/%2F%2Fevil.example',
  '/%5cevil.example',
  '/%5C%5Cevil.example',
  '/a/..%2f%2fevil.example',
  // double encoding
  '/%252e//evil.example',
  '/%252f%252fevil.example',
  '/%255cevil.example',
  // slashes and backslashes
  '/\\evil.example',
  '\\/evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '/a/..\\..\\evil.example',
  // tabs, newlines, spaces (browsers strip them from URLs)
  '/\t/evil.example',
  '/\n/evil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%0d%0aSet-Cookie:%20x=1',
  '/ok\r\nLocation: //evil.example',
  ' //evil.example',
  '\t//evil.example',
  '/\u0000/evil.example',
  // unicode lookalikes of / and \
  '/\uff0fevil.example',
  '\uff0f\uff0fevil.example',
  '/\uff3cevil.example',
  '/%EF%BC%8Fevil.example',
  // no leading slash
  'evil.example',
  './/evil.example',
  '',
]

/** Paths that must keep working, with where they land. */
export const LEGITIMATE_RETURN_TO: ReadonlyArray<[string, string]> = [
  ['/me', '/me'],
  ['/tickets?id=1#x', '/tickets?id=1#x'],
  ['/a/b/../c', '/a/c'],
  ['/admin/x?y=1#z', '/admin/x?y=1#z'],
  ['/a%2Fb', '/a%2Fb'],
  ['/search?q=a//b', '/search?q=a//b'],
]
