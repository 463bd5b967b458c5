/**
 * The secret-expiry banner at many profiles: each page shows the most urgent few secrets and one
 * banner counting the rest, so a page's banners do not grow with the number of profiles.
 */
import express from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { BANNER_MAX, expiryBannerSource } from '../../src/ops/expiry-banner.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { DAY, opsContext, profileInput, type OpsContext } from './helpers.js'

describe('secret-expiry banner with many expiring secrets', () => {
  let ops: OpsContext
  afterEach(() => ops?.close())

  it(`shows ${BANNER_MAX} banners, most urgent first, and one that counts the rest`, async () => {
    ops = await opsContext(sqliteUrl(), TEST_KEYS)
    const now = ops.clock.now()
    // 40 profiles, the k-th one's secret expires in k + 1 days (all within the 90-day rule).
    for (let k = 0; k < 40; k++) {
      await ops.store.profiles.create(
        profileInput({
          name: `Mailbox ${String(k).padStart(2, '0')}`,
          secretExpiresAt: new Date(now + (k + 1) * DAY + 3600_000),
        }),
      )
    }
    const source = expiryBannerSource(ops.ctx)
    const app = express().get('/banners', async (req, res) => {
      res.json(await source(req))
    })
    const en = await request(app).get('/banners').set('accept-language', 'en')
    expect(en.body).toHaveLength(BANNER_MAX + 1)
    expect(en.body.slice(0, BANNER_MAX).map((b: { text: string }) => /“(Mailbox \d+)”/.exec(b.text)?.[1])).toEqual([
      'Mailbox 00',
      'Mailbox 01',
      'Mailbox 02',
      'Mailbox 03',
      'Mailbox 04',
    ])
    expect(en.body[BANNER_MAX]).toEqual({
      level: 'error',
      text: expect.stringMatching(/^35 more client secrets expire soon/),
    })
    const de = await request(app).get('/banners').set('accept-language', 'de')
    expect(de.body[BANNER_MAX].text).toMatch(/^35 weitere Client-Secrets/)
  })
})
