/**
 * Tracks WebSocket frame boundaries in a byte stream without buffering payloads, so the master
 * can stop a proxied server→client stream exactly between two frames and insert its own close
 * frame there (RFC 6455 allows a control frame between the fragments of a message).
 */
export class FrameBoundaryTracker {
  /** Bytes of header seen so far (a header may be split across chunks). */
  private header: number[] = [];
  /** Payload bytes left in the current frame. */
  private remaining = 0;
  /** A close frame's header went by (its sender will send no more data frames). */
  sawClose = false;

  /** True when the bytes seen so far end exactly at a frame boundary. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.header.length === 0;
  }

  /**
   * Feed a chunk. Returns the offsets within it at which a frame ends (a boundary), in order;
   * the caller may cut the chunk at any of them.
   */
  feed(chunk: Uint8Array): number[] {
    const boundaries: number[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) boundaries.push(i);
        continue;
      }
      this.header.push(chunk[i++]);
      const need = headerLength(this.header);
      if (need !== undefined && this.header.length === need) {
        if ((this.header[0] & 0x0f) === 0x8) this.sawClose = true;
        this.remaining = payloadLength(this.header);
        this.header = [];
        if (this.remaining === 0) boundaries.push(i);
      }
    }
    return boundaries;
  }
}

/** Full header length once enough bytes are known to tell, else undefined. */
function headerLength(h: number[]): number | undefined {
  if (h.length < 2) return undefined;
  const masked = (h[1] & 0x80) !== 0;
  const len7 = h[1] & 0x7f;
  const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  return 2 + ext + (masked ? 4 : 0);
}

function payloadLength(h: number[]): number {
  const len7 = h[1] & 0x7f;
  if (len7 < 126) return len7;
  if (len7 === 126) return (h[2] << 8) | h[3];
  let n = 0;
  for (let k = 2; k < 10; k++) n = n * 256 + h[k];
  return n;
}

/**
 * A close frame with a status code and a short reason: unmasked (server → client), or masked
 * as a client must send it (`maskKey`, 4 bytes).
 */
export function closeFrame(code: number, reason: string, maskKey?: Buffer): Buffer {
  const text = Buffer.from(reason.slice(0, 120));
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (!maskKey) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  for (let i = 0; i < payload.length; i++) payload[i] ^= maskKey[i % 4];
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), maskKey, payload]);
}

/** Close code for "Service Restart": the server is restarting, reconnect (RFC 6455 registry). */
export const CLOSE_SERVICE_RESTART = 1012;
