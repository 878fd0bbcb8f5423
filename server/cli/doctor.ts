/** `smooth-reload doctor [dir] [--json]`: print the doctor's findings; exit 1 when any is an error. */
import * as path from 'node:path';
import type { Command } from 'commander';
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

export function registerDoctorCommand(program: Command, out: Printer): void {
  program
    .command('doctor')
    .description('find out why a reload does not take effect: stale builds and caches, signals, permissions, watcher limits')
    .argument('[dir]', 'project folder', '.')
    .option('--json', 'print {"findings": [...]} as JSON')
    .action(async (dirArg: string, opts: { json?: boolean }) => {
      const dir = path.resolve(dirArg);
      // Loaded here, not at start: the other commands do not need the doctor's checks.
      const { runDoctor } = require('../doctor') as typeof import('../doctor');
      const findings = await runDoctor({ dir });
      out.stdout(opts.json ? JSON.stringify({ findings }) + '\n' : formatDoctor(findings, dir));
      if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
    });
}
