/**
 * The example's demo users and the host callbacks that hand them to authdock. A real host reads
 * its own user table here; authdock only ever sees the objects these callbacks return.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'
import type { AuthdockUser, UserCallbacks } from '../src/index.js'

export interface DemoUser {
  id: string
  email: string
  displayName: string
  /** May open the OAuth2 profiles admin and the mail accounts. */
  admin: boolean
  /** authdock's password fallback ("Log in with password") is allowed for this user. */
  passwordLogin: boolean
  /** The password, at the dev identity provider and (where enabled) for the password fallback. */
  password: string
}

export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    id: 'alice',
    email: 'alice@example.com',
    displayName: 'Alice Admin',
    admin: true,
    passwordLogin: true,
    password: 'alice-password',
  },
  {
    id: 'bob',
    email: 'bob@example.com',
    displayName: 'Bob Builder',
    admin: false,
    passwordLogin: false,
    password: 'bob-password',
  },
])

/** What authdock keeps in the session and shows: never the password. */
function publicUser(user: DemoUser | undefined): AuthdockUser | null {
  if (!user) return null
  return { id: user.id, username: user.email, email: user.email, displayName: user.displayName, admin: user.admin }
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/** Compares digests in constant time so the answer time does not reveal how much of a password matched. */
export function passwordMatches(user: DemoUser, password: string): boolean {
  return timingSafeEqual(digest(user.password), digest(password))
}

export function findDemoUser(emailOrId: string): DemoUser | undefined {
  const key = emailOrId.trim().toLowerCase()
  return DEMO_USERS.find((u) => u.email === key || u.id === key)
}

/**
 * The `users` option of createAuthdock over `users`: the demo users, or none (a real provider
 * without DEMO_USERS=1, where a real host would read its own user table instead).
 */
export function userCallbacks(users: readonly DemoUser[]): UserCallbacks {
  const byKey = (emailOrId: string) => {
    const key = emailOrId.trim().toLowerCase()
    return users.find((u) => u.email === key || u.id === key)
  }
  return {
    findByClaim: ({ value }) => publicUser(byKey(value)),
    findByUsername: ({ username }) => publicUser(byKey(username)),
    findById: ({ id }) => publicUser(users.find((u) => u.id === id)),
    verifyPassword: ({ user, password }) => {
      const demo = users.find((u) => u.id === user.id)
      return demo ? passwordMatches(demo, password) : false
    },
    isPasswordLoginEnabled: ({ user }) => users.find((u) => u.id === user.id)?.passwordLogin === true,
  }
}

/** The admin guard: only a logged-in admin (alice) passes. */
export function isAdmin(req: Request): boolean {
  return (req.user as { admin?: unknown } | undefined)?.admin === true
}
