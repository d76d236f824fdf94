// The reference point of bench/slack/run.sh: Slack's Bolt for JavaScript, with its own HTTP
// receiver, verifying each request's v0 signature and five-minute window and acknowledging it,
// with one app_mention listener that does nothing more. Bolt acknowledges an event before its
// listeners run (processBeforeResponse: false, its default); nothing is stored.
//
//   SIGNING_SECRET=... PORT=... node app.js
const { App, LogLevel } = require('@slack/bolt');

const app = new App({
  signingSecret: process.env.SIGNING_SECRET,
  // A fixed installation, so no request leaves the machine (a plain `token` would make Bolt
  // call auth.test first).
  authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B0LAN0Z89', botUserId: 'U0LAN0Z89' }),
  logLevel: LogLevel.ERROR,
});

let mentions = 0;
app.event('app_mention', async () => {
  mentions += 1;
});

(async () => {
  // Loopback only, like everything the benches start.
  await app.start({ port: Number(process.env.PORT), host: '127.0.0.1' });
  console.error(`listening port=${process.env.PORT}`);
})();

process.on('SIGTERM', () => {
  console.error(`app_mention events handled: ${mentions}`);
  process.exit(0);
});
