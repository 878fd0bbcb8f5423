import type { Command } from 'commander';
import type { Printer } from './format';

/** `smooth-reload doctor`: registered once the doctor module exists. */
export function registerDoctorCommand(_program: Command, _out: Printer): void {}
