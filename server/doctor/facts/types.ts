/** What the doctor knows about a project and the machine: gathered once, read by pure checks. */
import type { ResolvedConfig } from '../../config';

export interface FileFact {
  /** Absolute path. */
  abs: string;
  /** Relative to the project folder, with forward slashes. */
  rel: string;
  isDir: boolean;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  /** Errno when the folder could not be listed (EACCES: its contents are unknown). */
  listError?: string;
}

export interface UserFacts {
  uid: number;
  gid: number;
  groups: number[];
  /** Effective capabilities (CapEff from /proc/self/status), as a bit mask. */
  capEff: bigint;
}

export interface MountFact {
  mountPoint: string;
  type: string;
}

export interface PhpFacts {
  /** php.ini files in the order PHP loads them (the later wins), as `php --ini` lists them. */
  iniFiles: { path: string; text: string }[];
  /** Modules `php -m` lists ("Zend OPcache" when OPcache is loaded). */
  modules: string[];
}

export interface MasterFacts {
  pid: number;
  alive: boolean;
  uid?: number;
  cmdline?: string;
}

export interface Facts {
  dir: string;
  config?: ResolvedConfig;
  /** Text of the config file, to point findings at a setting's line. */
  configText?: string;
  /** Files the app starts from: the entry, files named in the command, package.json main/start. */
  runs: string[];
  files: FileFact[];
  /** Contents of source-like files (abs path → text) that could be read. */
  texts: Map<string, string>;
  /** True when the walk stopped at its limit. */
  truncated: boolean;
  user: UserFacts;
  /** uid → user name, from /etc/passwd. */
  userNames: Map<number, string>;
  mounts: MountFact[];
  wsl: boolean;
  inotify?: { maxUserWatches: number; inUse: number };
  unprivilegedPortStart?: number;
  php?: PhpFacts;
  stateDir?: FileFact;
  master?: MasterFacts;
}
