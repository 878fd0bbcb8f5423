/**
 * The phases of one exchange (a request and its response) on a client connection, and the only
 * transitions between them. Pure: `Exchange` (exchange.ts) feeds it the events it sees and does
 * the I/O the answer names, so which combinations can happen is written here, once.
 *
 * The phase follows the response; the request side adds one fact, `requestRead` (its body may
 * still arrive after the whole response went out, e.g. a 413 before the body). Two counts hang
 * on the phases: the worker's in-flight count (taken once, released once) and the connection to
 * the worker (each one kept idle, closed, or handed to a tunnel: exactly one of them).
 */

export type Phase =
  /** Parsed, behind another exchange of the connection: not started. */
  | 'queued'
  /** Started; no worker ready yet: the request (and up to 1 MiB of body) is held. */
  | 'waiting'
  /** The request went to a worker; no final response head yet. */
  | 'awaiting'
  /** A 1xx head (100 Continue, 103) was passed on; its message completes next, then the real head comes. */
  | 'interim'
  /** The worker answered 101: its connection is about to be handed over. */
  | 'switching'
  /** The response body is collected for an extension's transform. */
  | 'buffering'
  /** The response head is built; the body passes through. */
  | 'streaming'
  /** A server-sent event stream: a long connection, no longer counted as a request. */
  | 'event-stream'
  /** The whole response was written; the request may still be arriving. */
  | 'responded'
  /** Response written and request read (or the connection closes): the connection moves on. */
  | 'done'
  /** The worker switched protocols: both sockets are a tunnel now (final). */
  | 'tunnel'
  /** The client went away, or the response was cut off mid-way (final). */
  | 'aborted';

export type ExchangeEvent =
  | { type: 'start' }
  /** A worker was picked and the request written to it. */
  | { type: 'attach' }
  /** The connection failed before any response bytes went out: once, to another worker. */
  | { type: 'retry' }
  | { type: 'interim' }
  /** A final response head: collected for a transform, an event stream, or streamed. */
  | { type: 'head'; as: 'buffer' | 'event-stream' | 'stream' }
  /** The collected body is too big to transform: it passes through as it is. */
  | { type: 'overflow' }
  /** A piece of the response body: it may be written only in the phases that accept it. */
  | { type: 'body' }
  | { type: 'switch' }
  | { type: 'upgraded' }
  /** The worker's response is complete; `keepAlive`: its connection may carry another request. */
  | { type: 'complete'; keepAlive: boolean; failed: boolean }
  /** An event stream ends cleanly (its worker went away or is reloading). */
  | { type: 'end-stream' }
  /** The master writes a whole response itself (local, 400, 502, 503), before any worker bytes went out. */
  | { type: 'answer'; failed: boolean }
  /** Too late for a status: the client connection is destroyed mid-response. */
  | { type: 'cut'; failed: boolean }
  | { type: 'request-read' }
  /** `closing`: the connection closes after this response, so an unread request is not waited for. */
  | { type: 'finish'; closing: boolean }
  /** The client connection closed. */
  | { type: 'gone' };

export interface ExchangeState {
  readonly phase: Phase;
  readonly requestRead: boolean;
  /** The worker's in-flight count: not taken yet, held by this exchange, or released. */
  readonly inFlight: 'none' | 'held' | 'released';
  /** The connection to the worker: `attached` until it is kept idle, closed or handed over. */
  readonly upstream: 'none' | 'attached' | 'kept' | 'closed' | 'handed-off';
  readonly retried: boolean;
}

/** What the exchange must do, in this order, when a transition is taken. */
export interface Effects {
  /** The connection to the worker leaves the exchange: back to the idle list, closed, or to a tunnel. */
  upstream?: 'keep' | 'close' | 'hand-off';
  /** A new connection to the (next) worker carries the request. */
  connect?: true;
  /** Take the worker's in-flight count (the first attach). */
  count?: true;
  /** Release it: the request is done as far as draining and recycling go. */
  release?: { failed: boolean };
  /** Tell the connection this exchange is over. */
  finish?: true;
}

export interface Transition {
  state: ExchangeState;
  effects: Effects;
}

export const INITIAL: ExchangeState = { phase: 'queued', requestRead: false, inFlight: 'none', upstream: 'none', retried: false };

const FINAL: ReadonlySet<Phase> = new Set<Phase>(['done', 'tunnel', 'aborted']);
/** Phases with a connection to a worker carrying the request. */
const WITH_UPSTREAM: ReadonlySet<Phase> = new Set<Phase>(['awaiting', 'interim', 'switching', 'buffering', 'streaming', 'event-stream']);
/** Phases whose response no worker byte reached the client yet (a head may be built, not sent). */
const BEFORE_RESPONSE: ReadonlySet<Phase> = new Set<Phase>(['waiting', 'awaiting', 'interim', 'switching', 'buffering', 'streaming']);

export function isFinal(phase: Phase): boolean {
  return FINAL.has(phase);
}

/** Request body bytes go on to the worker (else held while waiting, dropped once answered). */
export function forwardsBody(phase: Phase): boolean {
  return WITH_UPSTREAM.has(phase);
}

/** Response body bytes may go to the client (or into the transform's buffer) now. */
export function takesResponseBody(phase: Phase): boolean {
  return phase === 'buffering' || phase === 'streaming' || phase === 'event-stream';
}

/** Body bytes arriving now are held until a worker is picked. */
export function holdsBody(phase: Phase): boolean {
  return phase === 'queued' || phase === 'waiting';
}

/**
 * The state after `event`, and what to do; undefined when the event cannot happen in this state
 * (a late worker after an answer, bytes after an abort, anything after the end): nothing is done.
 */
export function transition(s: ExchangeState, event: ExchangeEvent): Transition | undefined {
  const p = s.phase;
  if (FINAL.has(p)) return undefined;
  switch (event.type) {
    case 'start':
      return p === 'queued' ? to(s, 'waiting') : undefined;
    case 'attach':
      return p === 'waiting' ? { state: { ...s, phase: 'awaiting', inFlight: 'held', upstream: 'attached' }, effects: { connect: true, count: true } } : undefined;
    case 'retry':
      if (s.retried || !WITH_UPSTREAM.has(p) || p === 'event-stream') return undefined;
      return { state: { ...s, phase: 'awaiting', upstream: 'attached', retried: true }, effects: { upstream: 'close', connect: true } };
    case 'interim':
      return p === 'awaiting' ? to(s, 'interim') : undefined;
    case 'head':
      if (p !== 'awaiting') return undefined;
      if (event.as === 'buffer') return to(s, 'buffering');
      if (event.as === 'stream') return to(s, 'streaming');
      // An event stream is a long connection: tracked as such, it no longer holds the worker as a request.
      return { state: { ...s, phase: 'event-stream', inFlight: 'released' }, effects: { release: { failed: false } } };
    case 'overflow':
      return p === 'buffering' ? to(s, 'streaming') : undefined;
    case 'body':
      return takesResponseBody(p) ? { state: s, effects: NONE } : undefined;
    case 'switch':
      return p === 'awaiting' && s.requestRead ? to(s, 'switching') : undefined;
    case 'upgraded':
      return p === 'switching' ? leave(s, 'tunnel', 'hand-off', false) : undefined;
    case 'complete':
      if (p === 'interim') return to(s, 'awaiting');
      if (p !== 'buffering' && p !== 'streaming' && p !== 'event-stream') return undefined;
      // Kept only when both the worker and the request are done with it.
      return leave(s, 'responded', event.keepAlive && s.requestRead ? 'keep' : 'close', event.failed);
    case 'end-stream':
      return p === 'event-stream' ? leave(s, 'responded', 'close', false) : undefined;
    case 'answer':
      return BEFORE_RESPONSE.has(p) ? leave(s, 'responded', 'close', event.failed) : undefined;
    case 'cut':
      return p === 'streaming' || p === 'event-stream' ? leave(s, 'aborted', 'close', event.failed) : undefined;
    case 'request-read':
      return s.requestRead ? undefined : { state: { ...s, requestRead: true }, effects: NONE };
    case 'finish':
      if (p !== 'responded' || !(s.requestRead || event.closing)) return undefined;
      return { state: { ...s, phase: 'done' }, effects: { finish: true } };
    case 'gone':
      return leave(s, 'aborted', 'close', false);
  }
}

const NONE: Effects = Object.freeze({});

function to(s: ExchangeState, phase: Phase): Transition {
  return { state: { ...s, phase }, effects: NONE };
}

/** Into a phase without a worker connection: it goes (`how`), and the in-flight count with it. */
function leave(s: ExchangeState, phase: Phase, how: 'keep' | 'close' | 'hand-off', failed: boolean): Transition {
  const effects: Effects = {};
  let upstream = s.upstream;
  if (upstream === 'attached') {
    effects.upstream = how;
    upstream = how === 'keep' ? 'kept' : how === 'close' ? 'closed' : 'handed-off';
  }
  let inFlight = s.inFlight;
  if (inFlight === 'held') {
    effects.release = { failed };
    inFlight = 'released';
  }
  return { state: { ...s, phase, inFlight, upstream }, effects };
}
