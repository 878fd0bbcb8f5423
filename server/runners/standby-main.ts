/**
 * The main module of a warm standby worker (`node --require bootstrap.js … standby.js`).
 * Empty on purpose: Node boots, runs the preloads and this file, and the bootstrap keeps the
 * process waiting on its IPC channel until the master sends `go` with the app's entry.
 */
export {};
