/**
 * What every CLI command is and how it reports a failed check. Kept apart from
 * run.ts (the dispatcher) so that the commands never import the dispatcher that
 * imports them.
 */
import { SmimeError } from '../errors.js';
import type { CommandSpec, ParsedArgs } from './args.js';
import type { CliIo } from './io.js';

/** Thrown by a command after it printed its report, to exit 1 with the first problem's code. */
export class CheckFailed extends SmimeError {
  override readonly name: string = 'CheckFailed';
}

export interface Command {
  spec: CommandSpec;
  /** One line for the command list. */
  summary: string;
  run(args: ParsedArgs, io: CliIo): Promise<void>;
}
