/**
 * Property-based tests of the protocol decoder: whatever bytes arrive, `decodeFrame` returns a
 * result (never throws); a rejection has a known code and a message, and a shape error names the
 * offending field; an accepted frame is a valid request.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MAX_FRAME_BYTES, Request, ServerFrame, decodeFrame, type DecodeResult } from '../../server/protocol';

const CODES = new Set(['SR_FRAME_TOO_LARGE', 'SR_BAD_JSON', 'SR_BAD_MESSAGE']);
const TYPES = ['reload', 'restart', 'status', 'stop', 'rollback'] as const;
const FIELDS = ['id', 'type', 'reason', 'files', 'wait'] as const;

/** Every `; `-separated part of a shape error starts with the field path (or "(root)"). */
const ISSUE = /^(\(root\)|[^:;\s]+): \S/;

function checkResult<T>(r: DecodeResult<T>): void {
  if (r.ok) return;
  assert.ok(CODES.has(r.code), `unknown code ${r.code}`);
  assert.equal(typeof r.message, 'string');
  assert.ok(r.message.length > 0, 'a rejection has a message');
  if (r.code === 'SR_BAD_MESSAGE') {
    for (const part of r.message.split('; ')) assert.match(part, ISSUE, `names a field: ${r.message}`);
  }
}

function decode(raw: string | Buffer): DecodeResult<Request> {
  let r: DecodeResult<Request> | undefined;
  assert.doesNotThrow(() => {
    r = decodeFrame(Request, raw);
  });
  checkResult(r!);
  if (r!.ok) assert.ok(Request.safeParse(r!.value).success, 'an accepted frame is a valid request');
  return r!;
}

/** Values of every JSON kind, including the ones a field does not want. */
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A valid request. */
const validRequest = fc.oneof(
  fc.record({ id: fc.nat(), type: fc.constant('reload'), reason: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), wait: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['id', 'type'] }),
  fc.record({ id: fc.nat(), type: fc.constant('changed'), files: fc.array(fc.string({ minLength: 1, maxLength: 50 }), { minLength: 1, maxLength: 5 }), wait: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['id', 'type', 'files'] }),
  fc.record({ id: fc.nat(), type: fc.constantFrom('restart', 'rollback'), wait: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['id', 'type'] }),
  fc.record({ id: fc.nat(), type: fc.constantFrom('status', 'stop') }),
);

describe('fuzz: protocol decoder', () => {
  it('never throws on arbitrary strings, and rejects non-JSON with SR_BAD_JSON', () => {
    fc.assert(
      // (unit 'binary' is very slow to generate; bytes are covered by the next test.)
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary-ascii', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.-+eE truefalsn\\u') })), (s) => {
        const r = decode(s);
        let isJson = true;
        try {
          JSON.parse(s);
        } catch {
          isJson = false;
        }
        if (!isJson) assert.equal(!r.ok && r.code, 'SR_BAD_JSON');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes (invalid UTF-8 included)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void decode(Buffer.from(bytes))), { numRuns: 300 });
  });

  it('never throws on arbitrary JSON values, and accepts only valid requests', () => {
    fc.assert(fc.property(anyJson, (v) => void decode(JSON.stringify(v) ?? 'null')), { numRuns: 500 });
  });

  it('accepts every valid request unchanged', () => {
    fc.assert(
      fc.property(validRequest, (req) => {
        const r = decode(JSON.stringify(req));
        assert.ok(r.ok, !r.ok ? r.message : '');
        assert.deepEqual(r.value, JSON.parse(JSON.stringify(req)));
      }),
      { numRuns: 300 },
    );
  });

  it('names the field when one field of a valid request is replaced by a wrong value', () => {
    fc.assert(
      fc.property(validRequest, fc.constantFrom(...FIELDS), anyJson, (req, field, value) => {
        const bad: Record<string, unknown> = { ...req, [field]: value };
        const r = decode(JSON.stringify(bad));
        if (r.ok) return; // The replacement happened to be valid (or a field that type ignores).
        assert.equal(r.code, 'SR_BAD_MESSAGE');
        // The field at fault appears in the message (`type` may be named through the discriminator).
        assert.ok(r.message.includes(field) || (field !== 'type' && r.message.includes('type')), `${JSON.stringify(bad)} → ${r.message}`);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects objects with unknown types and awkward keys without throwing', () => {
    const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ...FIELDS), fc.string({ maxLength: 10 }));
    fc.assert(
      fc.property(fc.dictionary(key, anyJson, { maxKeys: 6 }), fc.option(fc.constantFrom(...TYPES, 'RELOAD', '', 'eval'), { nil: undefined }), (obj, type) => {
        const text = JSON.stringify(type === undefined ? obj : { ...obj, type });
        // Raw JSON with a literal "__proto__" key too (JSON.parse makes it an own property).
        decode(text);
        decode(`{"__proto__":{"type":"stop","id":1},${text.slice(1)}`.replace(/,}$/, '}'));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses frames over the limit with SR_FRAME_TOO_LARGE, counting bytes not characters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.constantFrom('x', 'é', '😀'), (extra, ch) => {
        const pad = ch.repeat(Math.ceil((MAX_FRAME_BYTES + extra) / Buffer.byteLength(ch)));
        const text = JSON.stringify({ id: 1, type: 'status', pad });
        const r = decode(text);
        assert.equal(!r.ok && r.code, 'SR_FRAME_TOO_LARGE');
        assert.match(!r.ok ? r.message : '', /exceeds/);
        const asBuffer = decode(Buffer.from(text));
        assert.equal(!asBuffer.ok && asBuffer.code, 'SR_FRAME_TOO_LARGE');
      }),
      { numRuns: 30 },
    );
  });

  it('survives deep nesting within the size limit', () => {
    for (const depth of [100, 1000, 10_000, Math.floor(MAX_FRAME_BYTES / 2) - 20]) {
      decode('['.repeat(depth) + ']'.repeat(depth));
      decode(`{"id":1,"type":"reload","files":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      decode('{"a":'.repeat(depth / 5) + '1' + '}'.repeat(depth / 5));
    }
  });

  it('the client side decoder (master → client frames) never throws either', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson.map((v) => JSON.stringify(v) ?? 'null'), fc.string({ maxLength: 200 }), fc.record({ type: fc.constantFrom('reply', 'event'), id: anyJson, ok: anyJson, event: anyJson }).map((v) => JSON.stringify(v))), (text) => {
        let r: DecodeResult<ServerFrame> | undefined;
        assert.doesNotThrow(() => (r = decodeFrame(ServerFrame, text)));
        checkResult(r!);
      }),
      { numRuns: 300 },
    );
  });
});
