/**
 * Imported first by the CLI (server/cli/index.ts), so that it runs before any other module of
 * the bundle loads: a `serve` process, the master, sets MASTER_RUNTIME_V8_FLAGS on itself
 * (server/node-flags.ts says why and what they measured). Loading the CLI's modules already grows
 * V8's young generation, so this cannot wait for the `serve` command's action. The short client
 * commands (`reload`, `status`, …) and a test that imports the CLI are left as they are.
 */
import { applyMasterRuntimeV8Flags } from '../node-flags';

if (process.argv[2] === 'serve') applyMasterRuntimeV8Flags();
