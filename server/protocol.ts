/**
 * The control protocol between a master and its clients (the CLI, the extension).
 * One module, imported by both sides, so a message that one side sends is exactly
 * what the other side validates. Every frame is one JSON object.
 *
 * Client → master: `Request`. Master → client: `Reply` (answers one request by id)
 * and `EventFrame` (pushed to every client, in order).
 */
import { z } from 'zod';

/** Bump when a message changes shape incompatibly: a client whose version differs from the master's hello refuses to talk to it (SR_PROTOCOL_MISMATCH). */
export const PROTOCOL_VERSION = 2;

/** Largest frame either side accepts; larger ones are refused before parsing. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** What a client accepts from the master it authenticated: a status with many findings can pass 64 KiB. */
export const MAX_SERVER_FRAME_BYTES = 16 * MAX_FRAME_BYTES;

export const Severity = z.enum(['error', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

/**
 * A finding: one cause for a reload that did not (or may not) take effect.
 * Shared by the doctor, the master's runtime checks, the CLI and the Problems panel.
 * Lines and columns are 1-based, as editors and stack traces show them.
 */
export const Finding = z.object({
  code: z.string().regex(/^SR[A-Z0-9_]+$/),
  severity: Severity,
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  endLine: z.number().int().positive().optional(),
  endColumn: z.number().int().positive().optional(),
  fix: z.string().optional(),
  docs: z.string().optional(),
  /** Other places that explain the finding (the stack frames above the first, say). */
  related: z.array(z.object({ file: z.string(), line: z.number().int().positive().optional(), message: z.string() })).optional(),
});
export type Finding = z.infer<typeof Finding>;

export const WorkerInfo = z.object({
  id: z.number().int(),
  pid: z.number().int().optional(),
  generation: z.number().int(),
  state: z.enum(['starting', 'ready', 'draining', 'stopping', 'exited']),
  port: z.number().int().optional(),
  inFlight: z.number().int(),
  requests: z.number().int(),
  errors: z.number().int(),
  startedAt: z.number(),
  rssBytes: z.number().optional(),
  /** Under observation in a canary reload: takes a share of requests, not yet promoted. */
  canary: z.boolean().optional(),
  /** Debug mode: stopped in the debugger (its heartbeat is silent); never timed out or killed while so. */
  paused: z.boolean().optional(),
  /** `serve --inspect`: the worker's inspector, for Chrome DevTools or another IDE. */
  inspector: z.string().optional(),
  latencyMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number() }).optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

export const MasterStatus = z.object({
  pid: z.number().int(),
  url: z.string(),
  state: z.enum(['starting', 'ready', 'reloading', 'stopping', 'failed']),
  generation: z.number().int(),
  workers: z.array(WorkerInfo),
  lastReload: z
    .object({ id: z.number().int(), ok: z.boolean(), durationMs: z.number(), at: z.number(), finding: Finding.optional() })
    .optional(),
  findings: z.array(Finding),
  cwd: z.string(),
  version: z.string(),
  /** Warm standbys: Node processes booted for the next reload, or why there are none. */
  standby: z.object({ pids: z.array(z.number().int()), off: z.string().optional() }).optional(),
  /** Nothing under way: no reload pending or running, no worker starting, draining or stopping, no crash restart scheduled. Optional: older masters do not say. */
  settled: z.boolean().optional(),
});
export type MasterStatus = z.infer<typeof MasterStatus>;

// ---- client → master ------------------------------------------------------

const base = { id: z.number().int().nonnegative() };
export const Request = z.discriminatedUnion('type', [
  /** Roll every worker to new code, whatever changed (a command: the user asked for it). */
  z.object({ ...base, type: z.literal('reload'), reason: z.string().max(200).optional(), wait: z.boolean().optional() }),
  /**
   * These files changed (saved in an editor, written by a build): the master classifies and
   * decides, exactly as for a change its own watcher sees, and a save both report is handled once.
   */
  z.object({ ...base, type: z.literal('changed'), files: z.array(z.string().min(1).max(4096)).min(1).max(10_000), wait: z.boolean().optional() }),
  /** Stop every worker, then start fresh ones (for changes a rolling reload cannot pick up, e.g. env). */
  z.object({ ...base, type: z.literal('restart'), wait: z.boolean().optional() }),
  /** Return the master's `MasterStatus`. */
  z.object({ ...base, type: z.literal('status') }),
  /** Graceful stop: drain and exit. */
  z.object({ ...base, type: z.literal('stop') }),
  /** Answer requests for one more host (the editor's forwarded address); replies `{ allowedHosts }`. */
  z.object({ ...base, type: z.literal('allow-host'), host: z.string().min(1).max(300) }),
  /** Go back to the previous generation's code, when its files are unchanged. */
  z.object({ ...base, type: z.literal('rollback'), wait: z.boolean().optional() }),
]);
export type Request = z.infer<typeof Request>;
export type RequestType = Request['type'];

// ---- master → client ------------------------------------------------------

export const ReloadResult = z.object({
  id: z.number().int(),
  ok: z.boolean(),
  durationMs: z.number(),
  generation: z.number().int(),
  finding: Finding.optional(),
});
export type ReloadResult = z.infer<typeof ReloadResult>;

/** What a `changed` request did (its reply when it waits). */
export const ChangeOutcome = z.object({
  /** `none`: every file was ignored (or only the config file changed); `browser`: pages updated, workers kept. */
  action: z.enum(['none', 'browser', 'reload', 'restart']),
  /** The same save was already being handled (reported first by the watcher, or by the editor). */
  joined: z.boolean().optional(),
  /** Files that change nothing: ignored by "watch.ignore" or the built-ins, or outside "watch.paths". */
  ignored: z.array(z.string()),
  /** The workers' reload, when there was one. */
  reload: ReloadResult.optional(),
  /** The master's config file was among them (reported as SR_CONFIG_CHANGED). */
  configChanged: z.boolean().optional(),
});
export type ChangeOutcome = z.infer<typeof ChangeOutcome>;

export const Reply = z.object({
  type: z.literal('reply'),
  id: z.number().int().nonnegative().nullable(),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Reply = z.infer<typeof Reply>;

export const MasterEvent = z.discriminatedUnion('kind', [
  /** Sent first to every client that connects, and when the master's state changes. */
  z.object({ kind: z.literal('hello'), protocol: z.number().int(), status: MasterStatus }),
  z.object({ kind: z.literal('state'), state: MasterStatus.shape.state, url: z.string(), workers: z.number().int() }),
  z.object({
    kind: z.literal('worker'),
    event: z.enum(['spawn', 'ready', 'draining', 'exit', 'killed', 'crash', 'recycle', 'paused', 'resumed']),
    id: z.number().int(),
    pid: z.number().int().optional(),
    generation: z.number().int(),
    /** On `ready` with `serve --inspect`: the worker's inspector. */
    inspector: z.string().optional(),
    code: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
    detail: z.string().optional(),
  }),
  z.object({ kind: z.literal('reload-start'), id: z.number().int(), reason: z.string(), files: z.array(z.string()).optional() }),
  z.object({ kind: z.literal('reload-progress'), id: z.number().int(), step: z.string() }),
  z.object({ kind: z.literal('reload-done'), ...ReloadResult.shape }),
  z.object({ kind: z.literal('reload-failed'), ...ReloadResult.shape }),
  /** Findings replace earlier ones of the same `source`; an empty list clears them. */
  z.object({ kind: z.literal('findings'), source: z.string(), findings: z.array(Finding) }),
  z.object({ kind: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string(), worker: z.number().int().optional() }),
  z.object({ kind: z.literal('browser-reload'), reason: z.enum(['code', 'css', 'asset', 'full']), files: z.array(z.string()).optional() }),
  z.object({ kind: z.literal('stopping') }),
  /** The pool became settled (see `MasterStatus.settled`): a test or a script can act now instead of waiting for time. */
  z.object({ kind: z.literal('settled'), generation: z.number().int() }),
]);
export type MasterEvent = z.infer<typeof MasterEvent>;

export const EventFrame = z.object({ type: z.literal('event'), event: MasterEvent });
export type EventFrame = z.infer<typeof EventFrame>;

export const ServerFrame = z.discriminatedUnion('type', [Reply, EventFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** The state file a running master writes (`.smooth-reload/state.json`, mode 0600). */
export const StateFile = z.object({
  pid: z.number().int().positive(),
  url: z.string(),
  control: z.object({ host: z.string(), port: z.number().int().positive() }),
  token: z.string().min(32),
  cwd: z.string(),
  startedAt: z.number(),
  version: z.string(),
  protocol: z.number().int(),
});
export type StateFile = z.infer<typeof StateFile>;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** Decode a frame; never throws. The message names what is wrong, for the error reply. */
export function decodeFrame<T>(schema: z.ZodType<T>, raw: string | Buffer, maxBytes = MAX_FRAME_BYTES): DecodeResult<T> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > maxBytes) {
    return { ok: false, code: 'SR_FRAME_TOO_LARGE', message: `frame of ${size} bytes exceeds the ${maxBytes}-byte limit` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch (err) {
    return { ok: false, code: 'SR_BAD_JSON', message: `frame is not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, code: 'SR_BAD_MESSAGE', message: describeZodError(parsed.error) };
  }
  return { ok: true, value: parsed.data };
}

/** One line per issue, each naming the path of the offending field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.join('.') : '(root)';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}
