/**
 * The profile's mailbox against the account that consented at "renew authorization": the token
 * acts for whoever consented, so a different account is worth a warning (the wrong person, or a
 * delegate of a shared mailbox).
 */

/** Mailbox names compare without case (addresses and Entra UPNs are case-insensitive). */
export function sameMailbox(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase()
}

/**
 * Did someone other than the mailbox consent? False when there is nothing to compare (no mailbox
 * set, or the provider named no account).
 */
export function accountMismatch(mailbox: string | null, account: string | null): boolean {
  return Boolean(mailbox && account && !sameMailbox(mailbox, account))
}
