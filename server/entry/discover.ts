/**
 * Zero-config start: which file of a Node project is its app, when no "entry" and no "command"
 * were given (pure: the caller passes package.json's text and a way to ask whether a file exists).
 *
 * Looked at in this order, the first level that names an existing file wins:
 *  1. package.json "main";
 *  2. the file that scripts.dev, then scripts.start, runs with node, tsx, ts-node or nodemon;
 *  3. index, server or app with .js .mjs .cjs or .ts, in the folder and then in src/.
 * Two different files on one level (both index.js and server.js, say) are ambiguous: an error,
 * like finding nothing, that lists everything looked at.
 */

export const RUNNERS = ['node', 'tsx', 'ts-node', 'nodemon'] as const;
export const CONVENTIONAL_NAMES = ['index', 'server', 'app'];
export const CONVENTIONAL_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts'];
const CONVENTIONAL_FOLDERS = ['', 'src/'];

export interface EntryChoice {
  ok: true;
  /** Relative to the project folder, as written (`src/server.ts`). */
  entry: string;
  /** Why, for people: `package.json "main"`, `package.json scripts.dev ("tsx watch src/index.ts")`. */
  reason: string;
  /** Flags of the script that are not passed on (a preload such as `-r dotenv/config`), to tell the user. */
  droppedFlags: string[];
  /** Everything looked at, in order, with what was found there. */
  looked: string[];
}

export interface EntryNotFound {
  ok: false;
  /** Which failure; the user sees `message`, in a ConfigError (SR_CONFIG_INVALID). */
  code: 'not-found' | 'ambiguous';
  message: string;
  looked: string[];
}

export interface ProjectView {
  /** package.json's text, or undefined when the folder has none. */
  packageJson: string | undefined;
  /** Whether a regular file exists at this path relative to the project folder. */
  isFile(relative: string): boolean;
}

interface Found {
  entry: string;
  reason: string;
  droppedFlags: string[];
}

/** Choose the entry file of a project, or say why none could be chosen. */
export function discoverEntry(project: ProjectView): EntryChoice | EntryNotFound {
  const looked: string[] = [];
  let pkg: Record<string, unknown> | undefined;
  if (project.packageJson === undefined) looked.push('package.json: none');
  else {
    try {
      const parsed = JSON.parse(project.packageJson) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) pkg = parsed as Record<string, unknown>;
      else looked.push('package.json: not a JSON object');
    } catch (err) {
      looked.push(`package.json: invalid JSON (${(err as Error).message})`);
    }
  }

  const levels: (() => Found[])[] = [
    () => {
      if (!pkg) return [];
      const main = pkg.main;
      if (typeof main !== 'string' || main.trim() === '') {
        looked.push('package.json "main": not set');
        return [];
      }
      const file = existing(project, main);
      looked.push(`package.json "main": ${main}${file ? '' : ' (no such file)'}`);
      return file ? [{ entry: file, reason: 'package.json "main"', droppedFlags: [] }] : [];
    },
    ...(['dev', 'start'] as const).map((name) => () => {
      const scripts = pkg?.scripts;
      const script = scripts && typeof scripts === 'object' ? (scripts as Record<string, unknown>)[name] : undefined;
      if (!pkg) return [];
      if (typeof script !== 'string') {
        looked.push(`package.json scripts.${name}: not set`);
        return [];
      }
      const runs = filesRunBy(script);
      const found: Found[] = [];
      const notes: string[] = [];
      for (const run of runs) {
        const file = existing(project, run.file);
        notes.push(`${run.runner} ${run.file}${file ? '' : ' (no such file)'}`);
        if (file) found.push({ entry: file, reason: `package.json scripts.${name} ("${script}")`, droppedFlags: run.droppedFlags });
      }
      looked.push(`package.json scripts.${name} ("${script}"): ${runs.length ? notes.join(', ') : `runs no file with ${RUNNERS.join(', ')}`}`);
      return found;
    }),
    () => {
      const found: Found[] = [];
      const names: string[] = [];
      for (const folder of CONVENTIONAL_FOLDERS) {
        for (const name of CONVENTIONAL_NAMES) for (const ext of CONVENTIONAL_EXTENSIONS) names.push(folder + name + ext);
      }
      for (const folder of CONVENTIONAL_FOLDERS) {
        if (found.length) break; // the folder itself before src/
        for (const name of CONVENTIONAL_NAMES) {
          for (const ext of CONVENTIONAL_EXTENSIONS) {
            const file = folder + name + ext;
            if (project.isFile(file)) found.push({ entry: file, reason: `the conventional name ${file}`, droppedFlags: [] });
          }
        }
      }
      looked.push(`${CONVENTIONAL_FOLDERS.map((f) => `${f || './'}{${CONVENTIONAL_NAMES.join(',')}}{${CONVENTIONAL_EXTENSIONS.join(',')}}`).join(' and ')}: ${found.length ? found.map((f) => f.entry).join(', ') : 'none'}`);
      return found;
    },
  ];

  for (const level of levels) {
    const found = level();
    const distinct = [...new Map(found.map((f) => [normalize(f.entry), f])).values()];
    if (distinct.length === 1) return { ok: true, ...distinct[0], looked };
    if (distinct.length > 1) {
      return {
        ok: false,
        code: 'ambiguous',
        looked,
        message: `more than one entry could be the app (${distinct.map((f) => f.entry).join(', ')}); name one: smooth-reload serve ${distinct[0].entry}, or "entry" in smooth-reload.config.json. Looked at:\n${bullets(looked)}`,
      };
    }
  }
  return {
    ok: false,
    code: 'not-found',
    looked,
    message: `no entry file found; give one (smooth-reload serve app.js), a command (--command "python3 app.py"), or set "entry" in smooth-reload.config.json. Looked at:\n${bullets(looked)}`,
  };
}

function bullets(lines: string[]): string {
  return lines.map((l) => `    - ${l}`).join('\n');
}

function normalize(file: string): string {
  return file.replace(/^\.\//, '').replace(/\/+/g, '/');
}

/** The file as it exists: as written, else with a known extension added (`node server` runs server.js). */
function existing(project: ProjectView, file: string): string | undefined {
  const f = normalize(file);
  if (project.isFile(f)) return f;
  if (!/\.[cm]?[jt]s$/.test(f)) {
    for (const ext of CONVENTIONAL_EXTENSIONS) if (project.isFile(f + ext)) return f + ext;
    for (const ext of CONVENTIONAL_EXTENSIONS) if (project.isFile(`${f}/index${ext}`)) return `${f}/index${ext}`;
  }
  return undefined;
}

/** Options of each runner that take the next word as their value (`-r dotenv/config`). */
const VALUE_FLAGS: Record<(typeof RUNNERS)[number], string[]> = {
  node: ['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '--env-file-if-exists', '--inspect-port', '--conditions', '-C', '--title', '--max-old-space-size', '--stack-size'],
  tsx: ['--tsconfig', '--ignore', '--include', '-r', '--require', '--import', '--env-file', '--env-file-if-exists', '--conditions', '-C'],
  'ts-node': ['-P', '--project', '-r', '--require', '-O', '--compiler-options', '-C', '--compiler', '-I', '--ignore', '--scope-dir', '--cwd', '--dir'],
  nodemon: ['-w', '--watch', '-e', '--ext', '-i', '--ignore', '-x', '--exec', '-d', '--delay', '-s', '--signal', '--config', '--cwd', '-V', '--spawn'],
};
/** Preload flags: worth telling the user they are not applied (they would go into "nodeArgs"). */
const PRELOADS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader']);
/** Flags after which the runner runs no file (`node -e "…"`). */
const NO_FILE = new Set(['-e', '--eval', '-p', '--print', '-v', '--version', '-h', '--help', '--test']);

export interface ScriptRun {
  runner: (typeof RUNNERS)[number];
  file: string;
  droppedFlags: string[];
}

/**
 * The files a package.json script runs with node, tsx, ts-node or nodemon (pure). Understands
 * `&&`, `&`, `||`, `;` and `|` between commands, `VAR=x` and `cross-env VAR=x` prefixes, `npx`, paths
 * such as `./node_modules/.bin/tsx`, and `tsx watch` / `node --watch`.
 */
export function filesRunBy(script: string): ScriptRun[] {
  const runs: ScriptRun[] = [];
  for (const segment of script.split(/&&?|\|\|?|;/)) {
    const words = shellWords(segment);
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]) || ['cross-env', 'npx', 'dotenv', '--', 'exec'].includes(baseName(words[i])))) i++;
    const runner = RUNNERS.find((r) => r === baseName(words[i] ?? ''));
    if (!runner) continue;
    i++;
    if ((runner === 'tsx' || runner === 'ts-node') && words[i] === 'watch') i++;
    const droppedFlags: string[] = [];
    for (; i < words.length; i++) {
      const w = words[i];
      if (NO_FILE.has(w) && (runner !== 'nodemon' || !['-e'].includes(w))) break;
      if (w === '--') continue;
      if (w.startsWith('-')) {
        const flag = w.split('=')[0];
        const takesValue = !w.includes('=') && VALUE_FLAGS[runner].includes(flag);
        if (PRELOADS.has(flag)) droppedFlags.push(takesValue ? `${w} ${words[i + 1] ?? ''}`.trim() : w);
        if (takesValue) i++;
        continue;
      }
      runs.push({ runner, file: w, droppedFlags });
      break;
    }
  }
  return runs;
}

function baseName(word: string): string {
  return word.replace(/^.*\//, '');
}

/** Split a command into words, with single and double quotes grouping (enough for package.json scripts). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}
