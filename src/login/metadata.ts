/**
 * A provider's discovered metadata, read once per Configuration. openid-client's
 * `serverMetadata()` returns a fresh structuredClone of the whole document on every call, which
 * showed in the login callback's profile; a Configuration's metadata never changes (a new
 * discovery makes a new Configuration), so one copy per Configuration serves every login.
 */
import type * as client from 'openid-client'

const copies = new WeakMap<client.Configuration, Readonly<client.ServerMetadata>>()

/** The metadata of `config`, shared: read it, never change it. */
export function metadataOf(config: client.Configuration): Readonly<client.ServerMetadata> {
  let metadata = copies.get(config)
  if (!metadata) copies.set(config, (metadata = config.serverMetadata()))
  return metadata
}
