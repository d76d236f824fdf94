// Runs telegram-test-api (an emulated Telegram Bot API, from npm) on 127.0.0.1 for
// tests/integration/telegram_emulator_test.cpp, with a small control server through which the
// test acts as the emulator's simulated user. Prints `listening port=<api> control=<control>`
// on stderr once both accept; stops on SIGTERM/SIGINT, and by itself after ten minutes.
//
//   BOT_TOKEN=<token> node launch.js
//
// Control routes (JSON):
//   POST /user/say     {"text": "..."}: the user sends the bot a private message
//   GET  /user/inbox   every message the bot sent the user so far, oldest first, as the
//                      emulator's client receives them: [{"message": {...}, "messageId": N}]
'use strict';

const http = require('http');
const TelegramServer = require('telegram-test-api');

const token = process.env.BOT_TOKEN;
if (!token) {
    console.error('launch.js: BOT_TOKEN is not set');
    process.exit(2);
}

// The user, as Telegram would show them (a private chat's id is the user's id).
const user = {userId: 111222333, chatId: 111222333, firstName: 'Sam', userName: 'samlee'};

async function main() {
    const server = new TelegramServer({host: '127.0.0.1', storeTimeout: 600});
    // The emulator takes `port || 9000`; port 0 (any free one) is set after construction.
    server.config.port = 0;
    await server.start();
    const apiPort = server.server.address().port;
    server.config.apiURL = `http://127.0.0.1:${apiPort}`;
    const client = server.getClient(token, {...user, timeout: 500, interval: 50});
    const inbox = [];

    const control = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => { body += chunk; });
        req.on('end', async () => {
            const answer = (status, value) => {
                const text = JSON.stringify(value);
                res.writeHead(status, {
                    'Content-Type': 'application/json',
                    'Content-Length': Buffer.byteLength(text),
                });
                res.end(text);
            };
            try {
                if (req.method === 'POST' && req.url === '/user/say') {
                    const {text} = JSON.parse(body);
                    await client.sendMessage(client.makeMessage(text));
                    answer(200, {ok: true});
                } else if (req.method === 'GET' && req.url === '/user/inbox') {
                    try {
                        const updates = await client.getUpdates();
                        inbox.push(...updates.result);
                    } catch (e) {
                        // The client gives up after `timeout` ms with nothing new: not an error.
                    }
                    answer(200, inbox);
                } else {
                    answer(404, {error: 'not_found'});
                }
            } catch (e) {
                answer(500, {error: String(e)});
            }
        });
    });
    await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
    console.error(`listening port=${apiPort} control=${control.address().port}`);

    const stop = async () => {
        control.close();
        await server.stop();
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    setTimeout(() => process.exit(0), 10 * 60 * 1000);
}

main().catch((e) => {
    console.error(`launch.js: ${e.stack || e}`);
    process.exit(1);
});
