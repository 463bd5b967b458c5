/**
 * Making an answer that skips the host's password check (unknown user, password login disabled)
 * take as long as one that ran it: an answer that skipped it would tell by its speed that the user
 * does not exist.
 *
 * Such an answer runs the host's check itself, against a decoy user, so it costs what a real check
 * costs under the same load, from the very first request after start. A host whose check returns
 * early for a user it does not know would still give the user away, so the answer is padded to the
 * typical duration of the real checks (a moving average) once one has been timed.
 */
export class TypicalDuration {
  private averageMs = 0
  private samples = 0

  /** A real check took `ms`. */
  add(ms: number): void {
    this.samples = Math.min(this.samples + 1, 20)
    this.averageMs += (ms - this.averageMs) / this.samples
  }

  /**
   * Run `decoy` (the host's check against a decoy user) and pad it to about one typical check when
   * it was clearly quicker (±10 %, so the pause itself is not a fixed fingerprint). Never throws:
   * says whether the decoy failed or was quick, for the caller to report.
   */
  async imitate(decoy: () => unknown): Promise<{ failed: boolean; quick: boolean }> {
    const started = performance.now()
    let failed = false
    try {
      await decoy()
    } catch {
      failed = true
    }
    const elapsed = performance.now() - started
    // Below a millisecond a timer would overshoot the check it imitates.
    const quick = this.samples > 0 && this.averageMs >= 1 && elapsed < 0.8 * this.averageMs
    if (quick) {
      const ms = this.averageMs * (0.9 + Math.random() * 0.2) - elapsed
      await new Promise((resolve) => setTimeout(resolve, ms))
    }
    return { failed, quick }
  }
}
