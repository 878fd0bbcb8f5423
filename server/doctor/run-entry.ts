/**
 * `smooth-reload doctor --run`: start the app once in a throwaway worker (the same bootstrap,
 * readiness and stop as the master's workers, on a private port), wait until it is ready, hold
 * one connection to it as a browser would, send SIGTERM, and report whether it exited and in how
 * long. A worker still alive shortly before `reload.killTimeoutMs` is asked what keeps it alive and
 * where its SIGTERM handler is defined (SR_RUN_NO_EXIT); then it is killed.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import type { ResolvedConfig } from '../config';
import type { Finding } from '../protocol';
import { finding } from '../finding';
import { Worker, WorkerBootError, type ShutdownEvidence } from '../pool/worker';
import { workerSpecFor } from '../pool/worker-spec';
import { describeEvidence, fixFor } from '../runners/shutdown-evidence';

export interface RunReport {
  /** What ran: the entry relative to the project, or the command. */
  runs: string;
  ready: boolean;
  readyMs?: number;
  /** True when the process ended within reload.killTimeoutMs of SIGTERM. */
  exited: boolean;
  /** Milliseconds from SIGTERM to exit (or to the kill). */
  exitMs?: number;
  code?: number | null;
  signal?: string | null;
  /** What the worker reported shortly before the kill (empty when it exited in time). */
  evidence: ShutdownEvidence;
  /** Whether a connection was still being answered (a stream) when SIGTERM was sent. */
  heldStream: boolean;
  findings: Finding[];
}

export interface RunOptions {
  config: ResolvedConfig;
  /** Folder of bootstrap.js, worker-shim.js and standby.js (the CLI's and the extension's dist/). */
  distDir: string;
  /** Node to run the worker with when the config sets no "nodePath" (its default is this process's own binary). */
  nodePath?: string;
}

export async function runEntryOnce(options: RunOptions): Promise<RunReport> {
  const { config } = options;
  const nodePath = options.nodePath && config.nodePath === process.execPath ? options.nodePath : config.nodePath;
  // In the editor's extension host this process's binary is Electron: it runs as plain Node only when told so.
  const asNode: Record<string, string> = process.versions.electron && nodePath === process.execPath ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  // The same worker as the master's (its .env included).
  const spec = workerSpecFor(config, options.distDir, { nodePath, extraEnv: asNode });
  const runs = config.entry ? path.relative(config.cwd, path.resolve(config.cwd, config.entry)) : (config.command ?? '');
  const killTimeoutMs = config.reload.killTimeoutMs;
  const worker = new Worker(0, 0, spec);
  const started = Date.now();
  try {
    await worker.start();
  } catch (err) {
    if (!(err instanceof WorkerBootError)) throw err;
    const f = err.finding;
    return { runs, ready: false, exited: true, evidence: { resources: [], listeners: [] }, heldStream: false, findings: [f] };
  }
  const readyMs = Date.now() - started;
  const held = await holdConnection(worker.port!, config.readiness.path || '/');
  const evidence = evidenceBeforeKill(worker, killTimeoutMs);
  const sent = Date.now();
  const info = await worker.stop(killTimeoutMs);
  const exitMs = Date.now() - sent;
  held.socket.destroy();
  const report: RunReport = { runs, ready: true, readyMs, exited: !info.killed, exitMs, code: info.code, signal: info.signal, evidence: { resources: [], listeners: [] }, heldStream: held.streaming, findings: [] };
  if (info.killed) {
    report.evidence = await evidence;
    const d = describeEvidence(report.evidence, config.cwd);
    const stream = held.streaming ? ` (a client was reading a response that had not ended: ${config.readiness.path || '/'})` : '';
    report.findings.push(finding('SR_RUN_NO_EXIT', 'warning', `${runs} did not exit within reload.killTimeoutMs (${killTimeoutMs} ms) of SIGTERM${stream} and was killed${d.text}`, fixFor(report.evidence), d.where, d.related));
  }
  return report;
}

/** Ask the worker for evidence shortly before the kill; empty when it exited first. */
function evidenceBeforeKill(worker: Worker, killTimeoutMs: number): Promise<ShutdownEvidence> {
  const none: ShutdownEvidence = { resources: [], listeners: [] };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (!worker.alive) return resolve(none);
      worker.shutdownEvidence(300).then(resolve, () => resolve(none));
    }, Math.max(0, killTimeoutMs - 400));
    worker.once('exit', (info) => {
      if (!info.killed) {
        clearTimeout(timer);
        resolve(none);
      }
    });
  });
}

/**
 * One keep-alive request to the app, as a browser tab would leave it: after the answer the
 * connection stays open (idle); an answer that does not end within a moment (an event stream) is
 * left streaming. Either way the socket is open when SIGTERM comes.
 */
function holdConnection(port: number, pathName: string): Promise<{ socket: net.Socket; streaming: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let settled = false;
    const done = (streaming: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ socket, streaming });
    };
    const timer = setTimeout(() => done(got.length > 0 && !ended(got)), 500);
    socket.on('connect', () => socket.write(`GET ${pathName} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`));
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (ended(got)) done(false);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

/** Whether an HTTP/1.1 response in `text` is complete (Content-Length reached, or a chunked body's last chunk). */
function ended(text: string): boolean {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = text.slice(0, headEnd).toLowerCase();
  const body = text.slice(headEnd + 4);
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return /(^|\r\n)0\r\n\r\n$/.test(body);
  return /^http\/1\.\d (1\d\d|204|304)/.test(head);
}
