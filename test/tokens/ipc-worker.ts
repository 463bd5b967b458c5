/**
 * A child process driven over IPC, for tests with several processes on one database: it says
 * 'ready' once open, fires its burst on 'go', and answers 'done' with what it got. Messages are
 * awaited by type, whichever order they arrive in.
 */
import { spawn, type ChildProcess } from 'node:child_process'

export type Result = { ok: true; hash: string } | { ok: false; code: string }

export interface IpcWorker {
  child: ChildProcess
  next<T extends { type: string } = { type: string; results?: Result[] }>(type: string): Promise<T>
}

/** Start `script` (TypeScript, through tsx) with `args` as JSON in AUTHDOCK_WORKER. */
export function startWorker(script: string, args: Record<string, unknown>): IpcWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, AUTHDOCK_WORKER: JSON.stringify(args) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const inbox: Array<{ type: string }> = []
  const waiting: Array<{ type: string; resolve: (m: { type: string }) => void; reject: (e: Error) => void }> = []
  child.on('message', (m: { type: string }) => {
    const i = waiting.findIndex((w) => w.type === m.type)
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m)
    else inbox.push(m)
  })
  child.on('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`worker exited (${code ?? signal}) before '${w.type}'`))
  })
  return {
    child,
    next<T extends { type: string }>(type: string): Promise<T> {
      const i = inbox.findIndex((m) => m.type === type)
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T)
      return new Promise<T>((resolve, reject) =>
        waiting.push({ type, resolve: resolve as (m: { type: string }) => void, reject }),
      )
    },
  }
}

/** SIGKILL every worker still running (afterEach). */
export function killAll(workers: IpcWorker[]): void {
  for (const w of workers.splice(0))
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL')
}
