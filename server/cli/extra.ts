/** Commands that live in their own modules (doctor, attach), registered on the program. */
import type { Command } from 'commander';
import type { Printer } from './format';
import { registerDoctorCommand } from './doctor';
import { registerAttachCommand } from './attach';

export function registerExtraCommands(program: Command, out: Printer): void {
  registerDoctorCommand(program, out);
  registerAttachCommand(program, out);
}
