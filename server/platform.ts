/**
 * Where Smooth Reload runs. The master reloads and stops workers with POSIX signals, ends a
 * command worker's tree through its process group, and starts commands with /bin/sh: none of
 * that exists on Windows, so `serve` refuses there at once, and the extension shows the same text.
 */

/** sysexits.h EX_UNAVAILABLE: the service cannot run here (64, EX_USAGE, is taken by usage errors). */
export const UNSUPPORTED_PLATFORM_EXIT = 69;

/** The refusal for this platform, or undefined where Smooth Reload runs (Linux, macOS, other Unixes). */
export function unsupportedPlatformMessage(platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== 'win32') return undefined;
  return (
    'Smooth Reload does not run on Windows: it reloads and stops workers with POSIX signals, ends their process trees by process group, and runs command workers with /bin/sh. ' +
    'Use it in WSL (Windows Subsystem for Linux): open the folder in WSL (VS Code: "WSL: Reopen Folder in WSL") and start Smooth Reload there.'
  );
}
