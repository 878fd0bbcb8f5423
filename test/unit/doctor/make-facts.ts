/** Facts for unit tests of the pure checks: a made-up project, described file by file. */
import * as path from 'node:path';
import { ConfigSchema, type ConfigInput, type ResolvedConfig } from '../../../server/config';
import type { Facts, FileFact } from '../../../server/doctor/facts';

export const DIR = '/home/dev/app';

export interface FileSpec {
  text?: string;
  dir?: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  mtimeMs?: number;
  listError?: string;
}

export interface FactsSpec {
  files?: Record<string, FileSpec | string>;
  config?: ConfigInput;
  /** Text of smooth-reload.config.json (defaults to the JSON of `config`). */
  configText?: string;
  runs?: string[];
  user?: Partial<Facts['user']>;
  extra?: Partial<Facts>;
}

/** Files default to mode 0644 (folders 0755), owned by uid 1000, as a normal checkout. */
export function makeFacts(spec: FactsSpec = {}): Facts {
  const files: FileFact[] = [{ abs: DIR, rel: '.', isDir: true, mode: 0o755, uid: 1000, gid: 1000, mtimeMs: 0, size: 0 }];
  const texts = new Map<string, string>();
  const add = (rel: string, s: FileSpec) => {
    const abs = path.join(DIR, rel);
    const known = files.find((f) => f.abs === abs);
    if (known) {
      // Named again after a file inside it created it: the explicit description wins.
      Object.assign(known, { ...(s.mode !== undefined ? { mode: s.mode } : {}), ...(s.uid !== undefined ? { uid: s.uid } : {}), ...(s.gid !== undefined ? { gid: s.gid } : {}) });
      return;
    }
    const parent = path.posix.dirname(rel);
    if (parent !== '.') add(parent, { dir: true });
    files.push({
      abs,
      rel,
      isDir: !!s.dir,
      mode: s.mode ?? (s.dir ? 0o755 : 0o644),
      uid: s.uid ?? 1000,
      gid: s.gid ?? 1000,
      mtimeMs: s.mtimeMs ?? 1_000_000,
      size: s.text?.length ?? 0,
      ...(s.listError ? { listError: s.listError } : {}),
    });
    if (s.text !== undefined) texts.set(abs, s.text);
  };
  for (const [rel, s] of Object.entries(spec.files ?? {})) {
    if (rel === '.') Object.assign(files[0], typeof s === 'string' ? {} : s);
    else add(rel, typeof s === 'string' ? { text: s } : s);
  }
  let config: ResolvedConfig | undefined;
  if (spec.config) {
    config = Object.freeze({ ...ConfigSchema.parse(spec.config), cwd: DIR, configFile: path.join(DIR, 'smooth-reload.config.json') });
  }
  const runs = spec.runs ?? (config?.entry ? [path.join(DIR, config.entry)] : []);
  return {
    dir: DIR,
    ...(config ? { config, configText: spec.configText ?? JSON.stringify(spec.config, null, 2) } : {}),
    runs,
    files,
    texts,
    truncated: false,
    user: { uid: 1000, gid: 1000, groups: [1000], capEff: 0n, ...spec.user },
    userNames: new Map([
      [0, 'root'],
      [1000, 'dev'],
      [65534, 'nobody'],
    ]),
    mounts: [{ mountPoint: '/', type: 'ext4' }],
    wsl: false,
    inotify: { maxUserWatches: 65536, inUse: 100 },
    unprivilegedPortStart: 1024,
    ...spec.extra,
  };
}

export const codes = (findings: { code: string }[]) => findings.map((f) => f.code);
