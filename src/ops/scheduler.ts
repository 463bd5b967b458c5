/**
 * The daily check: the secret-expiry check (log lines, events, audit entries) and pruning of the
 * audit trail and of expired login devices. It runs at start and then every 24 h on every instance, but does its work only once
 * per (UTC) day across all instances that share the store:
 *
 * - The lease `daily-check` is taken with a TTL that ends at the next UTC midnight. Whoever takes it
 *   first on a day runs the check; every other instance's attempt that day fails, even when it
 *   starts later the same day or restarts with a new instance id.
 * - After midnight the lease has run out and the first attempt of the new day takes it again.
 * - The holder remembers the day it ran, because `acquire` also renews for the current holder.
 * - When the check fails, the lease is released so that the next attempt (on any instance) retries.
 */
import { randomUUID } from 'node:crypto'
import type { DockContext } from '../context.js'
import { checkSecrets, findingLogFields, reportFindings, DAY_MS, type SecretFinding } from './secret-expiry.js'

export const DAILY_LEASE = 'daily-check'

/**
 * What one run of the daily check did (secret findings, pruned audit entries and devices).
 *
 * @example
 * const result: DailyCheckResult = await dock.operations.runDailyCheck()
 */
export interface DailyCheckResult {
  /** False when another instance already ran the check today (or this one did). */
  ran: boolean
  findings: SecretFinding[]
  /** Audit entries removed by the retention rule (0 when not ran). */
  pruned: number
  /** Expired remembered devices and replaced device ids removed (0 when not ran). */
  prunedDevices: number
}

export interface Operations {
  /** Run the daily check now if no instance has run it today. */
  runDailyCheck(): Promise<DailyCheckResult>
  /** Stop the timer and wait for a running check to finish (call before closing the store). */
  stop(): Promise<void>
}

export interface OperationsOptions {
  /** How often each instance tries (default 24 h). Tests use a short one. */
  intervalMs?: number
  /** Identifies this instance as the lease holder (default: a random id). */
  instanceId?: string
  /** Run once right away (default true). */
  runAtStart?: boolean
}

/** The UTC day of `now` as YYYY-MM-DD. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10)
}

/** Milliseconds from `now` to the next UTC midnight (at least one second). */
export function msUntilNextUtcDay(now: number): number {
  return Math.max(1000, (Math.floor(now / DAY_MS) + 1) * DAY_MS - now)
}

/** One run of the daily check's work, without the lease: secrets, then pruning. */
async function dailyWork(ctx: DockContext): Promise<Omit<DailyCheckResult, 'ran'>> {
  const findings = await checkSecrets(ctx)
  reportFindings(ctx, findings)
  for (const f of findings) {
    await ctx.store.audit.add({
      kind: 'secret.expiry',
      actor: null,
      profileId: f.kind === 'profile' ? f.id : null,
      // The log line's facts, with the kind under the name the audit trail has always used.
      details: (({ kind, ...rest }) => ({ secretKind: kind, ...rest }))(findingLogFields(f)),
    })
  }
  const cutoff = new Date(ctx.now() - ctx.config.audit.retentionDays * DAY_MS)
  const pruned = await ctx.store.audit.pruneOlderThan(cutoff)
  if (pruned > 0) ctx.logger.info({ pruned, before: cutoff.toISOString() }, 'authdock: pruned old audit entries')
  // Also login attempt counters whose window has ended (a row per account or address tried).
  await ctx.store.attempts.pruneExpired()
  // Devices refuse themselves once expired; this only keeps the table from growing.
  const prunedDevices = await ctx.store.loginTokens.pruneExpired()
  if (prunedDevices > 0) ctx.logger.info({ prunedDevices }, 'authdock: pruned expired login devices')
  return { findings, pruned, prunedDevices }
}

/**
 * Start the daily check on this instance: once at start (unless `runAtStart: false`) and then
 * every `intervalMs`. The timer never keeps the process alive.
 *
 * @example
 * const ops = startOperations(ctx)
 * // on shutdown, before the store closes:
 * await ops.stop()
 */
export function startOperations(ctx: DockContext, options: OperationsOptions = {}): Operations {
  const instanceId = options.instanceId ?? randomUUID()
  const intervalMs = options.intervalMs ?? DAY_MS
  let lastRunDay: string | null = null
  let running: Promise<DailyCheckResult> | null = null
  let stopped = false

  const attempt = async (): Promise<DailyCheckResult> => {
    const now = ctx.now()
    const day = utcDay(now)
    if (lastRunDay === day) return { ran: false, findings: [], pruned: 0, prunedDevices: 0 }
    const held = await ctx.store.leases.acquire(DAILY_LEASE, instanceId, msUntilNextUtcDay(now))
    if (!held) return { ran: false, findings: [], pruned: 0, prunedDevices: 0 }
    try {
      const result = await dailyWork(ctx)
      lastRunDay = day
      return { ran: true, ...result }
    } catch (err) {
      // Give the day back so the next attempt (here or elsewhere) retries.
      await ctx.store.leases.release(DAILY_LEASE, instanceId).catch(() => undefined)
      throw err
    }
  }

  // One run at a time per instance: a timer tick during a slow run joins it.
  const runDailyCheck = (): Promise<DailyCheckResult> => {
    running ??= attempt().finally(() => {
      running = null
    })
    return running
  }

  const tick = (): void => {
    if (stopped) return
    runDailyCheck().catch((err: unknown) => ctx.logger.error({ err: String(err) }, 'authdock: daily check failed'))
  }

  const timer = setInterval(tick, intervalMs)
  timer.unref()
  if (options.runAtStart ?? true) tick()

  return {
    runDailyCheck,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running?.catch(() => undefined)
    },
  }
}
