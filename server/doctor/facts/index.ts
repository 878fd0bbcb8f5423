/**
 * The thin layer that reads the world: files, modes and owners, /proc, `php --ini`. Everything
 * after it (the checks) is a pure function of the facts gathered here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../../config';
import { stateDir, statePath } from '../../state-file';
import { phpFacts } from './php';
import { readTexts, statFact, walkProject } from './project';
import { currentUser, inotify, isWsl, masterFacts, mounts, unprivilegedPortStart, userNames } from './system';
import type { Facts } from './types';

export type { Facts, FileFact, MountFact, PhpFacts, UserFacts, MasterFacts } from './types';

/** Files a shell command names that exist in the project (`node dist/app.js`, `php server.php`). */
export function filesInCommand(command: string, dir: string): string[] {
  const out: string[] = [];
  for (const raw of command.split(/\s+/)) {
    const token = raw.replace(/^['"]|['"]$/g, '').replace(/^--?[\w-]+=/, '');
    if (!token || token.startsWith('-') || token.includes('$')) continue;
    const abs = path.resolve(dir, token);
    if (abs.startsWith(dir + path.sep) && isFile(abs)) out.push(abs);
  }
  return out;
}

function isFile(abs: string): boolean {
  try {
    return fs.statSync(abs).isFile();
  } catch {
    return false;
  }
}

/** What the app starts from: the configured entry or command, else package.json main / start. */
export function startFiles(dir: string, config: ResolvedConfig | undefined, packageJson: string | undefined): string[] {
  if (config?.entry) return [path.resolve(dir, config.entry)];
  if (config?.command) return filesInCommand(config.command, dir);
  if (!packageJson) return [];
  try {
    const pkg = JSON.parse(packageJson) as { main?: unknown; scripts?: Record<string, unknown> };
    const found: string[] = [];
    if (typeof pkg.main === 'string' && isFile(path.resolve(dir, pkg.main))) found.push(path.resolve(dir, pkg.main));
    if (typeof pkg.scripts?.start === 'string') found.push(...filesInCommand(pkg.scripts.start, dir));
    return [...new Set(found)];
  } catch {
    return [];
  }
}

export interface GatherOptions {
  dir: string;
  config?: ResolvedConfig;
  /** Skip `php --ini` (projects with no PHP in them). Default: only when the project has .php files. */
  php?: boolean;
}

export async function gatherFacts(options: GatherOptions): Promise<Facts> {
  const dir = path.resolve(options.dir);
  const { config } = options;
  const { files, truncated } = walkProject(dir);
  let configText: string | undefined;
  if (config?.configFile) {
    try {
      configText = fs.readFileSync(config.configFile, 'utf8');
    } catch {
      // Resolved a moment ago; a race with a delete is not worth a finding.
    }
  }
  let packageJson: string | undefined;
  try {
    packageJson = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
  } catch {
    // Not a Node project, or no package.json.
  }
  const runs = startFiles(dir, config, packageJson);
  const texts = readTexts(files, runs);
  const usesPhp = options.php ?? (files.some((f) => f.abs.endsWith('.php')) || /\bphp\b/.test(config?.command ?? ''));
  const user = currentUser();
  const state = statFact(stateDir(dir), dir);
  const master = masterFacts(statePath(dir));
  const php = usesPhp ? phpFacts(dir) : undefined;
  const watches = inotify(user.uid);
  const portStart = unprivilegedPortStart();
  return {
    dir,
    ...(config ? { config } : {}),
    ...(configText !== undefined ? { configText } : {}),
    runs,
    files,
    texts,
    truncated,
    user,
    userNames: userNames(),
    mounts: mounts(),
    wsl: isWsl(),
    ...(watches ? { inotify: watches } : {}),
    ...(portStart !== undefined ? { unprivilegedPortStart: portStart } : {}),
    ...(php ? { php } : {}),
    ...(state ? { stateDir: state } : {}),
    ...(master ? { master } : {}),
  };
}
