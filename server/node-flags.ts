/**
 * Node flags for the master process, used wherever Smooth Reload spawns one (the extension, the
 * benchmark, `npm run demo`). V8 reads both when the heap is set up, so they must be on the command
 * line (`v8.setFlagsFromString` at run time changed nothing in the bench).
 * - `--max-semi-space-size=2`: the master proxies every request; under load V8 grows its young
 *   generation to 16 MB per semi-space, which took the master from 68 MB to 102 MB RSS in a 5 s,
 *   50-connection autocannon run. 2 MB semi-spaces keep it near its idle size.
 * - `--heap-growing-percent=20`: with small semi-spaces, per-connection objects are promoted, and
 *   the old generation grew to 52 MB (master RSS 110 MB) in the bench's `Connection: close` phase
 *   before its first full GC. Growing the heap by 20% at a time instead of V8's default factor
 *   kept it at about 25 MB.
 * Measured with `npm run bench -- --tools sr-save --skip-proxy` (master peak RSS: 2 MB semi-spaces
 * alone 110 MB; with 20% growth 80-81 MB, with 10% or 5% the same) and the master's CPU time per
 * proxied request over 30,000 requests (V8 defaults 105-111 µs, these flags 114 µs). 1 MB
 * semi-spaces kept the peak at 79 MB but cost 138-141 µs per request: more scavenges.
 */
export const MASTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=20'];
