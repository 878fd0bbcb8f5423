/**
 * Runs a command worker (`--command "python3 app.py"`) in its own process group and ties its
 * life to the master's: SIGTERM is passed to the whole group, and when the master's IPC channel
 * closes (even after SIGKILL) the group is killed. Without this, `npm start` or `sh -c` would leave
 * grandchildren behind.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const command = process.argv[2];
if (!command) {
  process.stderr.write('worker-shim: no command given\n');
  process.exit(2);
}

const child = spawn('/bin/sh', ['-c', command], { stdio: 'inherit', detached: true });
const group = -child.pid!;
const signalGroup = (signal: NodeJS.Signals) => {
  try {
    process.kill(group, signal);
  } catch {
    // Already gone.
  }
};

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
  process.on(signal, () => signalGroup(signal));
}
process.on('disconnect', () => {
  signalGroup('SIGKILL');
  process.exit(0);
});
child.on('exit', (code, signal) => {
  // Leave no stragglers of the group behind the shell.
  signalGroup('SIGKILL');
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0));
});
