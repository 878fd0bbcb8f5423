/** Runs the real CLI's doctor command (dist/cli.js) and parses its JSON. */
import { spawnSync } from 'node:child_process';
import type { Finding } from '../../server/protocol';
import { CLI } from '../helpers/master';

export interface DoctorRun {
  status: number | null;
  findings: Finding[];
  stdout: string;
  stderr: string;
}

/** `node dist/cli.js doctor <dir> [--json]`, optionally as another user (prefix: setpriv …). */
export function doctor(dir: string, options: { json?: boolean; env?: Record<string, string>; prefix?: string[] } = {}): DoctorRun {
  const json = options.json ?? true;
  const argv = [...(options.prefix ?? []), process.execPath, CLI, 'doctor', dir, ...(json ? ['--json'] : [])];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...options.env } });
  if (r.error) throw r.error;
  let findings: Finding[] = [];
  if (json) {
    try {
      findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    } catch {
      throw new Error(`doctor printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
  }
  return { status: r.status, findings, stdout: r.stdout, stderr: r.stderr };
}

export const summary = (findings: Finding[]) => findings.map((f) => `${f.code} ${f.file ?? ''}${f.line ? `:${f.line}` : ''}`);
