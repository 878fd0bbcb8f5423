/**
 * The control channel refuses what it must (no token, wrong token, a browser Origin, a foreign
 * Host) and answers bad frames with an error reply (or a 1009 close for oversized ones), and the
 * master keeps serving HTTP and answering `status` after each.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import WebSocket from 'ws';
import { ControlClient } from '../../server/control/client';
import { MAX_FRAME_BYTES, type MasterStatus, type StateFile } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { startMaster, type RunningMaster } from '../helpers/master';
import { makeProject, versionApp } from '../helpers/project';
import { waitFor } from '../helpers/processes';

type Outcome = { opened: true; ws: WebSocket; got: unknown[] } | { opened: false; status: number; body: string };

/**
 * Open a raw WebSocket to the control port with exactly these headers. Messages are collected
 * from the start: the master's hello can arrive in the same TCP segment as the 101 response, and
 * ws parses it before an `await` on 'open' resumes, so a listener attached afterwards misses it.
 */
function connectRaw(state: StateFile, headers: Record<string, string>, options: WebSocket.ClientOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${state.control.port}/`, { headers, perMessageDeflate: false, handshakeTimeout: 5000, ...options });
    const got: unknown[] = [];
    ws.on('message', (data) => got.push(JSON.parse(String(data))));
    ws.once('open', () => resolve({ opened: true, ws, got }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** Wait for `n` replies among the collected messages. */
function errorReplies(got: unknown[], n: number): Promise<ErrorReply[]> {
  return waitFor(`${n} replies`, () => {
    const r = got.filter((m): m is ErrorReply => (m as { type: string }).type === 'reply');
    return r.length === n && r;
  });
}

function httpGet(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { Origin: 'https://evil.example' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

interface ErrorReply {
  type: 'reply';
  id: number | null;
  ok: false;
  error: { code: string; message: string };
}

describe('control channel: refusals and bad input', function () {
  this.timeout(60_000);
  let master: RunningMaster;
  let state: StateFile;
  let dir: string;

  // The root hooks stop every master after each test, so each test gets its own.
  beforeEach(async () => {
    dir = makeProject({ 'app.js': versionApp(1) });
    master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    const read = readStateFile(dir);
    assert.ok(read.ok, 'the state file names the running master');
    state = read.state;
  });

  /** The master still serves the app and answers an authenticated `status`. */
  async function stillServing(): Promise<void> {
    const res = await httpGet(master.url);
    assert.equal(res.status, 200);
    assert.match(res.body, /^v1 /);
    const client = await ControlClient.connect(state);
    try {
      const status = await client.request<MasterStatus>({ type: 'status' });
      assert.equal(status.state, 'ready');
      assert.equal(status.workers.filter((w) => w.state === 'ready').length, 1);
    } finally {
      await client.close();
    }
    assert.equal(master.proc.exitCode, null, 'the master is still running');
  }

  const host = () => `127.0.0.1:${state.control.port}`;
  const auth = () => `Bearer ${state.token}`;

  it('accepts the token from the state file (sanity check of the harness)', async () => {
    const out = await connectRaw(state, { Authorization: auth(), Host: `localhost:${state.control.port}` });
    assert.ok(out.opened);
    const got = out.got;
    await waitFor('hello', () => got.length > 0);
    assert.deepEqual((got[0] as { event: { kind: string } }).event.kind, 'hello');
    out.ws.close();
  });

  it('refuses a connection without a token (401) and keeps serving', async () => {
    const out = await connectRaw(state, {});
    assert.equal(out.opened, false);
    assert.equal(!out.opened && out.status, 401);
    await stillServing();
  });

  it('refuses a wrong token, a token prefix and a token without "Bearer" (401) and keeps serving', async () => {
    const wrong = state.token.slice(0, -1) + (state.token.endsWith('0') ? '1' : '0');
    for (const header of [`Bearer ${wrong}`, `Bearer ${state.token.slice(0, 32)}`, state.token, `Bearer ${state.token}x`, 'Bearer ']) {
      const out = await connectRaw(state, { Authorization: header });
      assert.equal(!out.opened && out.status, 401, `refused: ${header.slice(0, 20)}…`);
    }
    await stillServing();
  });

  it('refuses a browser Origin even with the right token (403): cross-site WebSocket hijacking', async () => {
    for (const origin of ['https://evil.example', 'http://localhost:3000', 'null']) {
      const out = await connectRaw(state, { Authorization: auth() }, { origin });
      assert.equal(!out.opened && out.status, 403, `refused Origin ${origin}`);
    }
    await stillServing();
  });

  it('refuses a foreign Host header even with the right token (403): DNS rebinding', async () => {
    for (const h of [`evil.example:${state.control.port}`, 'evil.example', `127.0.0.1:${state.control.port + 1}`, `localhost.evil.example:${state.control.port}`]) {
      const out = await connectRaw(state, { Authorization: auth(), Host: h });
      assert.equal(!out.opened && out.status, 403, `refused Host ${h}`);
    }
    await stillServing();
  });

  it('answers malformed JSON with SR_BAD_JSON and keeps the connection', async () => {
    const out = await connectRaw(state, { Authorization: auth(), Host: host() });
    assert.ok(out.opened);
    const got = out.got;
    for (const text of ['{', 'not json', '', '{"id":1,"type":"status"']) out.ws.send(text);
    const replies = await errorReplies(got, 4);
    for (const r of replies) {
      assert.equal(r.ok, false);
      assert.equal(r.error.code, 'SR_BAD_JSON');
      assert.match(r.error.message, /not JSON/);
    }
    // Same connection still works.
    out.ws.send(JSON.stringify({ id: 7, type: 'status' }));
    const ok = await waitFor('status reply', () => got.find((m) => (m as { id?: number }).id === 7) as { ok: boolean } | undefined);
    assert.equal(ok.ok, true);
    out.ws.close();
    await stillServing();
  });

  it('answers valid JSON of the wrong shape with SR_BAD_MESSAGE naming the field', async () => {
    const out = await connectRaw(state, { Authorization: auth(), Host: host() });
    assert.ok(out.opened);
    const got = out.got;
    const cases: [unknown, RegExp][] = [
      [{ id: 1, type: 'nuke' }, /type/],
      [{ id: 2, type: 'reload', reason: 42 }, /reason/],
      [{ id: 3, type: 'changed', files: 'app.js' }, /files/],
      [{ type: 'status' }, /id/],
      [{ id: -1, type: 'status' }, /id/],
      [[1, 2, 3], /\(root\)/],
      ['status', /\(root\)/],
      [null, /\(root\)/],
      [{ id: 4, type: 'reload', reason: 'x'.repeat(201) }, /reason/],
    ];
    for (const [value] of cases) out.ws.send(JSON.stringify(value));
    const replies = await errorReplies(got, cases.length);
    replies.forEach((r, i) => {
      assert.equal(r.ok, false);
      assert.equal(r.error.code, 'SR_BAD_MESSAGE', JSON.stringify(cases[i][0]));
      assert.match(r.error.message, cases[i][1], `${JSON.stringify(cases[i][0])} → ${r.error.message}`);
    });
    // Replies name the request id when there was a valid one.
    assert.equal(replies[1].id, 2);
    assert.equal(replies[3].id, null);
    out.ws.close();
    await stillServing();
  });

  it('answers a binary frame with SR_BAD_MESSAGE', async () => {
    const out = await connectRaw(state, { Authorization: auth(), Host: host() });
    assert.ok(out.opened);
    const got = out.got;
    out.ws.send(Buffer.from(JSON.stringify({ id: 1, type: 'status' })), { binary: true });
    const reply = await waitFor('reply', () => got.find((m) => (m as { type: string }).type === 'reply') as ErrorReply | undefined);
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'SR_BAD_MESSAGE');
    assert.match(reply.error.message, /binary/);
    out.ws.close();
    await stillServing();
  });

  it('closes the connection with 1009 on a frame over 64 KiB, before reading it', async () => {
    const out = await connectRaw(state, { Authorization: auth(), Host: host() });
    assert.ok(out.opened);
    const closed = new Promise<number>((resolve) => out.ws.once('close', (code) => resolve(code)));
    out.ws.on('error', () => undefined);
    out.ws.send(JSON.stringify({ id: 1, type: 'reload', reason: 'x'.repeat(MAX_FRAME_BYTES) }));
    assert.equal(await closed, 1009);
    // A frame of exactly the limit is read and answered (unknown fields are ignored, as the protocol allows).
    const again = await connectRaw(state, { Authorization: auth(), Host: host() });
    assert.ok(again.opened);
    const got = again.got;
    const padding = MAX_FRAME_BYTES - JSON.stringify({ id: 9, type: 'status', pad: '' }).length;
    again.ws.send(JSON.stringify({ id: 9, type: 'status', pad: 'y'.repeat(padding) }));
    const reply = await waitFor('reply', () => got.find((m) => (m as { type: string }).type === 'reply') as { id: number; ok: boolean } | undefined);
    assert.deepEqual([reply.id, reply.ok], [9, true]);
    again.ws.close();
    await stillServing();
  });

  it('answers plain HTTP on the control port without CORS headers', async () => {
    const res = await httpGet(`http://${host()}/`);
    assert.notEqual(res.status, 101);
    assert.ok(res.status >= 400, `status ${res.status}`);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    await stillServing();
  });

  it('does not add CORS headers to proxied responses', async () => {
    const res = await httpGet(master.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
  });

  it('listens on loopback only, and the state file holding the token is 0600 in a 0700 folder', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    assert.equal(state.control.host, '127.0.0.1');
    assert.equal(fs.statSync(path.join(dir, '.smooth-reload', 'state.json')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(dir, '.smooth-reload')).mode & 0o777, 0o700);
    assert.ok(state.token.length >= 64, 'a 256-bit token');
  });
});
