declare const __SMOOTH_RELOAD_VERSION__: string | undefined;
/** The package version, set by the bundler; "dev" when running from sources. */
export const VERSION: string = typeof __SMOOTH_RELOAD_VERSION__ === 'string' ? __SMOOTH_RELOAD_VERSION__ : 'dev';
