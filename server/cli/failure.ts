/** Exit codes shared by every command, and the error a command throws to exit with one. */
export const EXIT = { ok: 0, failed: 1, noMaster: 2, usage: 64 } as const;

/** A command's own failure: its message is printed as is, and the process exits with `code`. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}
