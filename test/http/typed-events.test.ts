import { describe, expect, it } from 'vitest'
import { createEventEmitter } from '../../src/events.js'
import type { AuthdockEvents } from '../../src/index.js'

describe('dock.events is typed by AuthdockEvents', () => {
  it('passes a payload of the event named; a misspelt name or a wrong payload does not compile', () => {
    const events = createEventEmitter()
    const seen: Array<AuthdockEvents['token.failed']> = []
    events.on('token.failed', (e) => seen.push(e))
    events.emit('token.failed', { profileId: 'p1', code: 'TOKEN_REFRESH_FAILED' })
    // @ts-expect-error -- no such event ('token.failed' is)
    events.on('token.fialed', () => undefined)
    // @ts-expect-error -- the code must be an AuthdockErrorCode
    events.emit('token.failed', { profileId: 'p1', code: 'NO_SUCH_CODE' })
    expect(seen[0]).toEqual({ profileId: 'p1', code: 'TOKEN_REFRESH_FAILED' })
  })
})
