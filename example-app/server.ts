/**
 * `npm start`: the example app with the settings from the environment (see DESIGN.md).
 */
import { startExampleApp } from './app.js'

const app = await startExampleApp(process.env)
console.log(`authdock example app: ${app.url}`)
if (app.idpUrl) console.log(`development identity provider: ${app.idpUrl} (alice@example.com / alice-password, bob@example.com / bob-password)`)
console.log(`SMTP sink (XOAUTH2 only): ${app.smtpUrl}; received mails: ${app.url}/mails`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err)
        process.exit(1)
      },
    )
  })
}
