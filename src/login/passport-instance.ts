import type { Passport } from 'passport'

/** A Passport instance (`new Passport()`): authdock never registers anything on passport's global. */
export type PassportInstance = InstanceType<typeof Passport>
