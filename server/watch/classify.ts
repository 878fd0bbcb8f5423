/**
 * What a changed file asks for (pure): nothing (ignored), a browser-only update (CSS, images and
 * other static files), a rolling reload of the workers, a full restart, or, for the master's own
 * config file, a note that it takes a restart of the master.
 */
import * as path from 'node:path';
import picomatch from 'picomatch';

export type ChangeKind = 'ignored' | 'css' | 'asset' | 'code' | 'restart' | 'config';

/** Never worth a reload: version control, dependencies, our own state, editor droppings. */
export const DEFAULT_IGNORES = [
  '**/.git/**',
  '**/node_modules/**',
  '**/.smooth-reload/**',
  '**/.vscode/**',
  '**/.idea/**',
  '**/coverage/**',
  '**/*.log',
  '**/.DS_Store',
  '**/*.swp',
  '**/*.swx',
  '**/*~',
  '**/.#*',
  '**/#*#',
  '**/__pycache__/**',
  '**/*.pyc',
];

export interface ClassifyOptions {
  cwd: string;
  ignore: string[];
  /** Folders (relative to cwd) whose files only the browser needs. */
  staticDirs: string[];
  restartOn: string[];
  /** The master's config file (absolute): read once at start, so its change reloads nothing. */
  configFile?: string;
  /** Watched folders (relative to cwd; default the whole of cwd): a file outside them changes nothing. */
  paths?: string[];
}

export type Classifier = (file: string) => ChangeKind;

export function createClassifier(options: ClassifyOptions): Classifier {
  const opts = { dot: true };
  const ignored = picomatch([...DEFAULT_IGNORES, ...options.ignore], opts);
  const restart = options.restartOn.length ? picomatch(options.restartOn, opts) : () => false;
  const staticDirs = options.staticDirs.map((d) => path.resolve(options.cwd, d) + path.sep);
  const roots = (options.paths?.length ? options.paths : ['.']).map((p) => path.resolve(options.cwd, p));
  const inRoots = (abs: string) => roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  return (file: string) => {
    const abs = path.resolve(options.cwd, file);
    if (!inRoots(abs)) return 'ignored';
    const rel = path.relative(options.cwd, abs).split(path.sep).join('/');
    if (ignored(rel) || ignored(abs) || ignored(rel + '/')) return 'ignored';
    if (options.configFile && abs === options.configFile) return 'config';
    if (restart(rel)) return 'restart';
    if (staticDirs.some((d) => abs.startsWith(d))) return /\.css$/i.test(abs) ? 'css' : 'asset';
    return 'code';
  };
}

export interface ChangeBatch {
  code: string[];
  css: string[];
  asset: string[];
  restart: string[];
  config: string[];
}

export function emptyBatch(): ChangeBatch {
  return { code: [], css: [], asset: [], restart: [], config: [] };
}

/** Sort `files` into a batch; what is ignored is returned beside it. */
export function classifyFiles(files: readonly string[], classify: Classifier): { batch: ChangeBatch; ignored: string[] } {
  const batch = emptyBatch();
  const ignored: string[] = [];
  for (const file of files) {
    const kind = classify(file);
    const list = kind === 'ignored' ? ignored : batch[kind];
    if (!list.includes(file)) list.push(file);
  }
  return { batch, ignored };
}
