/**
 * A control-channel client, used by the CLI and the extension: finds the master through its
 * state file, sends typed requests and delivers events.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { MAX_SERVER_FRAME_BYTES, PROTOCOL_VERSION, ServerFrame, decodeFrame, type MasterEvent, type Reply, type Request, type StateFile } from '../protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RequestBody = DistributiveOmit<Request, 'id'>;

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ControlClientEvents {
  event: [event: MasterEvent];
  close: [code: number, reason: string];
}

export class ControlClient extends EventEmitter<ControlClientEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private closed = false;
  /** Set when the master's hello names another protocol version: every request fails with it. */
  private mismatch: ControlError | undefined;

  private constructor(private readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => {
      if (this.mismatch) return;
      const decoded = decodeFrame(ServerFrame, data as Buffer, MAX_SERVER_FRAME_BYTES);
      // Only a frame that does not decode is looked into raw: another version's hello may not
      // fit this version's schema, and a reply we cannot read must still end its request.
      const raw = decoded.ok ? undefined : peekFrame(data as Buffer);
      const theirs = decoded.ok ? (decoded.value.type === 'event' && decoded.value.event.kind === 'hello' ? decoded.value.event.protocol : undefined) : raw?.helloProtocol;
      if (theirs !== undefined && theirs !== PROTOCOL_VERSION) {
        this.mismatch = new ControlError(
          'SR_PROTOCOL_MISMATCH',
          `the master speaks control protocol ${theirs} and this Smooth Reload speaks ${PROTOCOL_VERSION}: it was started by another version. Stop it ("smooth-reload stop" from that version, or end its process) and start it again with this one`,
        );
        for (const p of this.pending.values()) p.reject(this.mismatch);
        this.pending.clear();
        return;
      }
      if (!decoded.ok) {
        const p = raw?.id === undefined ? undefined : this.pending.get(raw.id);
        if (p) {
          this.pending.delete(raw!.id!);
          p.reject(new ControlError(decoded.code, `cannot read the master's reply: ${decoded.message} (is the CLI the same version as the master?)`));
        }
        return;
      }
      const frame = decoded.value;
      if (frame.type === 'event') this.emit('event', frame.event);
      else if (frame.id !== null) {
        const p = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        p?.resolve(frame);
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new ControlError('SR_MASTER_GONE', `the master closed the control channel (${code}${reason.length ? `: ${reason}` : ''})`));
      this.pending.clear();
      this.emit('close', code, reason.toString());
    });
    ws.on('error', () => undefined);
  }

  /** Connect with the address and token from a state file. The first event is always `hello`. */
  static connect(state: Pick<StateFile, 'control' | 'token'>, timeoutMs = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${state.control.host}:${state.control.port}/`, {
        headers: { authorization: `Bearer ${state.token}` },
        maxPayload: MAX_SERVER_FRAME_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
      });
      const client = new ControlClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(new ControlError('SR_CONTROL_REFUSED', `the master refused the connection: ${res.statusCode} ${res.statusMessage}`));
        ws.terminate();
      });
      ws.once('error', (err: NodeJS.ErrnoException) => {
        reject(new ControlError(err.code === 'ECONNREFUSED' ? 'SR_NO_MASTER' : 'SR_CONTROL_FAILED', `cannot reach the master at ${state.control.host}:${state.control.port}: ${err.message}`));
      });
    });
  }

  /** Send a request and wait for its reply's result; rejects with ControlError on an error reply. */
  async request<T = unknown>(body: RequestBody): Promise<T> {
    if (this.mismatch) throw this.mismatch;
    if (this.closed) throw new ControlError('SR_MASTER_GONE', 'the control channel is closed');
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...body, id }));
    });
    if (!reply.ok) throw new ControlError(reply.error?.code ?? 'SR_INTERNAL', reply.error?.message ?? 'request failed');
    return reply.result as T;
  }

  /** Send raw text (tests of malformed input use this). */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}

/** What can be read from a frame that did not decode: a reply's `id`, a hello's protocol version. */
function peekFrame(data: Buffer): { id?: number; helloProtocol?: number } | undefined {
  if (data.length > MAX_SERVER_FRAME_BYTES) return undefined;
  try {
    const frame = JSON.parse(data.toString()) as { type?: unknown; id?: unknown; event?: { kind?: unknown; protocol?: unknown } };
    return {
      ...(typeof frame.id === 'number' ? { id: frame.id } : {}),
      ...(frame.type === 'event' && frame.event?.kind === 'hello' && typeof frame.event.protocol === 'number' ? { helloProtocol: frame.event.protocol } : {}),
    };
  } catch {
    return undefined;
  }
}
