import type { Command } from 'commander';
import type { Printer } from './format';

/** `smooth-reload attach`: registered once the attach module exists. */
export function registerAttachCommand(_program: Command, _out: Printer): void {}
