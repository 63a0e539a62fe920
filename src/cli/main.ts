// The `npp-temporal` command. Every failure ends as one readable line and an exit code:
// 0 done, 1 failed, 2 bad arguments, 3 not found. Never a stack trace (--debug shows one).
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { connectApp } from '../client/connect.ts';
import { maskPhonesInText } from '../phone.ts';
import { INVALID_CALLBACK_INPUT } from '../workflows/callBackInput.ts';
import { INVALID_SESSION_INPUT } from '../workflows/sessionInput.ts';
import { CALLBACK_USAGE, callBackCommand } from './callBackCommands.ts';
import { NPP_USAGE, nppCommand } from './nppCommands.ts';
import type { Output } from './output.ts';
import { SESSION_USAGE, sessionCommand } from './sessionCommands.ts';
import { setupCommand } from './setupCommand.ts';
import { SIM_USAGE, simCommand } from './simCommands.ts';
import { NotFoundError, UsageError } from './usage.ts';

const USAGE = `npp-temporal — masked-call sessions and callback calls on Tencent Cloud NPP, run by Temporal

${SESSION_USAGE}

${CALLBACK_USAGE}

${SIM_USAGE}

${NPP_USAGE}

Usage:
  npp-temporal setup        register the search attributes and the CDR reconciliation schedule

Options: --json (machine-readable output), --debug (stack traces), --help
Temporal comes from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TLS settings or a
Temporal CLI profile; the task queue from NPP_TASK_QUEUE (default npp).`;

export async function runCli(
  argv: string[],
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  const args = argv.filter((arg) => arg !== '--json' && arg !== '--debug');
  const output: Output = { json, write: io.stdout };
  const connect = () => connectApp(env);
  try {
    const [group, ...rest] = args;
    if (!group) {
      io.stderr(USAGE);
      return 2;
    }
    if (group === '--help' || group === 'help' || rest.includes('--help')) {
      io.stdout(USAGE);
      return 0;
    }
    switch (group) {
      case 'session':
        await sessionCommand(rest, connect, output);
        break;
      case 'callback':
        await callBackCommand(rest, connect, output);
        break;
      case 'sim':
        await simCommand(rest, connect, output, env);
        break;
      case 'cdr':
      case 'display-numbers':
        await nppCommand(group, rest, output, env);
        break;
      case 'setup':
        await setupCommand(connect, output);
        break;
      default:
        throw new UsageError(`unknown command: ${group}`, USAGE);
    }
    return 0;
  } catch (error) {
    const { message, code } = explain(error);
    io.stderr(`npp-temporal: ${maskPhonesInText(message)}`);
    if (error instanceof UsageError) io.stderr(`\n${error.usage}`);
    if (debug && error instanceof Error && error.stack) io.stderr(maskPhonesInText(error.stack));
    return code;
  }
}

function explain(error: unknown): { message: string; code: number } {
  if (error instanceof UsageError) return { message: error.message, code: 2 };
  if (error instanceof NotFoundError) return { message: error.message, code: 3 };
  if (error instanceof WorkflowNotFoundError) {
    return { message: `not found: ${error.workflowId ?? 'workflow'} (no such session or call)`, code: 3 };
  }
  // The workflows' own input checks, run by the client before it starts anything.
  if (
    error instanceof ApplicationFailure &&
    (error.type === INVALID_SESSION_INPUT || error.type === INVALID_CALLBACK_INPUT)
  ) {
    return { message: `invalid input: ${error.message}`, code: 2 };
  }
  if (error instanceof WorkflowUpdateFailedError) {
    return { message: `refused: ${error.cause?.message ?? error.message}`, code: 1 };
  }
  if (error instanceof ServiceError) {
    return { message: `Temporal: ${error.cause instanceof Error ? error.cause.message : error.message}`, code: 1 };
  }
  return { message: error instanceof Error ? error.message : String(error), code: 1 };
}
