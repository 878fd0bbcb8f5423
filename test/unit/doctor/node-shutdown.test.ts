import { strict as assert } from 'node:assert';
import { checkShutdownSource } from '../../../server/doctor/checks/node-shutdown';

const check = (text: string) => checkShutdownSource('/app/app.js', text, 5000);
const SERVER = `const http = require('node:http');\nconst server = http.createServer((q, s) => s.end('ok')).listen(3000);\n`;

describe('doctor: SR_SIGTERM_NO_EXIT', () => {
  it('reports a SIGTERM handler that only logs, at the process.on line', () => {
    const [f, ...rest] = check(`${SERVER}process.on('SIGTERM', () => {\n  console.log('bye');\n});\n`);
    assert.equal(rest.length, 0);
    assert.deepEqual([f.code, f.file, f.line, f.column], ['SR_SIGTERM_NO_EXIT', '/app/app.js', 3, 1]);
    assert.match(f.message, /handles SIGTERM \(process\.on\), and the handler neither exits nor closes what keeps the process alive: it leaves the server at app\.js:2 listening.*5000 ms/);
  });

  it('reports a named handler defined in the file that does nothing useful (SIGINT too)', () => {
    const text = `${SERVER}function onStop(signal) {\n  console.log('got', signal);\n}\nprocess.once("SIGINT", onStop);\n`;
    assert.deepEqual(check(text).map((f) => f.line), [6]);
  });

  it('clean twins: close the server, exit, call a same-file function that closes, call an imported one', () => {
    assert.deepEqual(check(`${SERVER}process.on('SIGTERM', () => server.close());\n`), []);
    assert.deepEqual(check(`${SERVER}process.on('SIGTERM', function () { db.flush(); process.exit(0); });\n`), []);
    assert.deepEqual(check(`${SERVER}const shutdown = async () => { await server.close(); };\nprocess.on('SIGTERM', () => { log(); shutdown(); });\nfunction log() {}\n`), []);
    assert.deepEqual(check(`const { gracefulStop } = require('./lifecycle');\n${SERVER}process.on('SIGTERM', () => gracefulStop(server));\n`), []);
  });

  it('clean twins: no handler at all, or one only mentioned in a comment or a string', () => {
    assert.deepEqual(check(SERVER), []);
    assert.deepEqual(check(`${SERVER}// process.on('SIGTERM', () => {});\nconst doc = "process.on('SIGTERM', () => {})";\n`), []);
  });

  it('reports what a handler leaves open whichever half it does: a closed server with an interval still running, a pool closed instead of the server', () => {
    const interval = check(`${SERVER}const poll = setInterval(() => {}, 500);\nprocess.on('SIGTERM', () => server.close());\n`);
    assert.match(interval[0].message, /calls server\.close\(\) but neither exits .* it leaves the interval at app\.js:3 running/);
    const pool = check(`${SERVER}const db = new Pool();\nprocess.on('SIGTERM', async () => { await db.end(); });\n`);
    assert.match(pool[0].message, /calls db\.end\(\) but .* leaves the server at app\.js:2 listening/);
  });

  it('follows a loop over signals, and is silent for an unref\'d interval, a forced-exit timer or a package that shuts down', () => {
    assert.deepEqual(check(`${SERVER}for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => console.log(s));\n`).map((f) => f.message.slice(0, 30)), ['app.js handles SIGTERM (proces', 'app.js handles SIGINT (process']);
    assert.deepEqual(check(`${SERVER}setInterval(() => {}, 500).unref();\nprocess.on('SIGTERM', () => server.close());\n`), []);
    assert.deepEqual(check(`${SERVER}process.on('SIGTERM', () => { server.close(); setTimeout(() => process.exit(1), 3000).unref(); });\nconst t = setInterval(() => {}, 9);\n`), []);
    assert.deepEqual(check(`const stoppable = require('stoppable');\n${SERVER}process.on('SIGTERM', () => { console.log('bye'); stoppable.stop(server); });\n`), []);
  });
});

