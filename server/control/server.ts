/**
 * The control channel: a WebSocket server on loopback that the CLI and the extension use.
 * Checked before a message is read: the token (constant-time compare), no browser Origin
 * (cross-site WebSocket hijacking), a loopback Host header (DNS rebinding). Every frame is
 * validated against the protocol module; bad input gets an error reply, never a crash.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../logger';
import { MAX_FRAME_BYTES, Request, decodeFrame, type MasterEvent, type Reply } from '../protocol';

export type RequestHandler = (request: Request) => Promise<unknown>;

export const TOKEN_HEADER = 'authorization';

export class ControlServer {
  private wss: WebSocketServer | undefined;
  private readonly clients = new Set<WebSocket>();
  private closePromise: Promise<void> | undefined;
  port = 0;

  constructor(
    private readonly token: string,
    private readonly handler: RequestHandler,
    private readonly hello: () => MasterEvent,
    private readonly logger: Logger,
  ) {}

  listen(host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host,
        port: 0,
        maxPayload: MAX_FRAME_BYTES,
        perMessageDeflate: false,
        verifyClient: (info, cb) => {
          const refusal = this.refuse(info.req);
          if (refusal) {
            this.logger.warn(`control channel refused a connection from ${info.req.socket.remoteAddress}: ${refusal.reason}`);
            cb(false, refusal.status, refusal.reason);
          } else cb(true);
        },
      });
      this.wss = wss;
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        this.port = (wss.address() as { port: number }).port;
        resolve(this.port);
      });
      wss.on('connection', (ws) => this.onConnection(ws));
    });
  }

  /** Push an event to every connected client. */
  broadcast(event: MasterEvent): void {
    const frame = JSON.stringify({ type: 'event', event });
    for (const ws of this.clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  }

  close(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
      for (const ws of this.clients) ws.close(1001, 'master stopping');
      const wss = this.wss;
      if (!wss) return resolve();
      const force = setTimeout(() => {
        for (const ws of this.clients) ws.terminate();
      }, 500);
      wss.close(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return this.closePromise;
  }

  /** Why a connection must be refused, or undefined when it may proceed. Exported logic for tests. */
  refuse(req: http.IncomingMessage): { status: number; reason: string } | undefined {
    if (req.headers.origin !== undefined) return { status: 403, reason: 'browser origins may not use the control channel' };
    const host = (req.headers.host ?? '').toLowerCase();
    const allowed = [`127.0.0.1:${this.port}`, `localhost:${this.port}`, `[::1]:${this.port}`];
    if (!allowed.includes(host)) return { status: 403, reason: `foreign Host header "${host}"` };
    const header = req.headers[TOKEN_HEADER];
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!safeEqual(given, this.token)) return { status: 401, reason: 'missing or wrong token' };
    return undefined;
  }

  private onConnection(ws: WebSocket): void {
    this.clients.add(ws);
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    ws.send(JSON.stringify({ type: 'event', event: this.hello() }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.reply(ws, { type: 'reply', id: null, ok: false, error: { code: 'SR_BAD_MESSAGE', message: 'binary frames are not accepted; send JSON text' } });
      const decoded = decodeFrame(Request, data as Buffer);
      if (!decoded.ok) {
        return this.reply(ws, { type: 'reply', id: idOf(data as Buffer), ok: false, error: { code: decoded.code, message: decoded.message } });
      }
      const request = decoded.value;
      this.handler(request).then(
        (result) => this.reply(ws, { type: 'reply', id: request.id, ok: true, result }),
        (err: Error & { code?: string }) => this.reply(ws, { type: 'reply', id: request.id, ok: false, error: { code: err.code ?? 'SR_INTERNAL', message: err.message } }),
      );
    });
  }

  private reply(ws: WebSocket, reply: Reply): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
  }
}

function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length > 0;
}

/** Best effort: the id of a request that failed validation, so the reply can name it. */
function idOf(data: Buffer): number | null {
  try {
    const id = (JSON.parse(data.toString()) as { id?: unknown }).id;
    return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
  } catch {
    return null;
  }
}
