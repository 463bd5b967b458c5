/**
 * `npm start`: the example app with the settings from the environment (variables: docs/example-app.md).
 */
import { startExampleApp } from './app.js'

const app = await startExampleApp(process.env)
console.log(`authdock example app: ${app.url}`)
if (app.idpUrl)
  console.log(
    `development identity provider: ${app.idpUrl} (alice@example.com / alice-password, bob@example.com / bob-password)`,
  )
console.log(`SMTP sink (STARTTLS with a dev CA, then XOAUTH2 only): ${app.smtpUrl}; received mails: ${app.url}/mails`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  app.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop)

// Started by a parent over IPC (a test, a supervisor): tell it where we listen (with PORT=0 only we
// know), and stop when it goes away rather than outlive it.
if (process.send) {
  process.send({ type: 'ready', url: app.url, idpUrl: app.idpUrl ?? null, smtpUrl: app.smtpUrl })
  process.once('disconnect', stop)
}
