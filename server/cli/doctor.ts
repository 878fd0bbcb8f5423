/**
 * `smooth-reload doctor [dir] [--json] [--run]`: print the doctor's findings; exit 1 when any is an
 * error. `--run` also starts the app once, sends it SIGTERM and says whether (and when) it exited.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import type { RunReport } from '../doctor';
import type { Finding } from '../protocol';
import { formatFinding, type Printer } from './format';

const TITLES = { error: 'errors', warning: 'warnings', info: 'notes' } as const;

/** Human output: findings grouped by severity, each with file:line, fix and docs link. */
export function formatDoctor(findings: Finding[], dir: string): string {
  if (!findings.length) return `doctor: no problems found in ${dir}\n`;
  const lines: string[] = [];
  for (const severity of ['error', 'warning', 'info'] as const) {
    const group = findings.filter((f) => f.severity === severity);
    if (!group.length) continue;
    lines.push(`${TITLES[severity]} (${group.length}):`);
    for (const f of group) lines.push(formatFinding(f, dir));
    lines.push('');
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  lines.push(`doctor: ${findings.length} finding${findings.length > 1 ? 's' : ''}, ${errors} error${errors === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

/** One line on what `--run` saw: ready after …, exited … after SIGTERM (or was killed). */
export function formatRun(run: RunReport): string {
  if (!run.ready) return `run: ${run.runs} did not become ready (see the findings)\n`;
  const held = run.heldStream ? ' while a response was still streaming' : '';
  const how = run.exited
    ? `exited ${run.exitMs} ms after SIGTERM${held} (${run.signal ? `signal ${run.signal}` : `code ${run.code}`})`
    : `did not exit after SIGTERM${held}: killed after ${run.exitMs} ms`;
  return `run: ${run.runs} was ready in ${run.readyMs} ms and ${how}\n`;
}

export function registerDoctorCommand(program: Command, out: Printer): void {
  program
    .command('doctor')
    .description('find out why a reload does not take effect: stale builds and caches, signals, permissions, watcher limits')
    .argument('[dir]', 'project folder', '.')
    .option('--json', 'print {"findings": [...]} as JSON (with --run, also "run": what the app did)')
    .option('--run', 'also start the app once in a throwaway worker, send it SIGTERM and report whether and when it exited')
    .action(async (dirArg: string, opts: { json?: boolean; run?: boolean }) => {
      const dir = path.resolve(dirArg);
      // Loaded here, not at start: the other commands do not need the doctor's checks.
      const { doctorReport } = require('../doctor') as typeof import('../doctor');
      // dist/ holds cli.js next to bootstrap.js and worker-shim.js.
      const { findings, run } = await doctorReport({ dir, ...(opts.run ? { run: { distDir: __dirname } } : {}) });
      if (opts.json) out.stdout(JSON.stringify({ findings, ...(run ? { run } : {}) }) + '\n');
      else out.stdout((run ? formatRun(run) : '') + formatDoctor(findings, dir));
      if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
    });
}
