// How the CLI prints: --json gives the raw result; otherwise short aligned lines for humans.
// Everything printed is already masked by the workflows (numbers as 0086136****6024).
import type { ConnectedApp } from '../client/connect.ts';
import type { SessionState } from '../contract/session.ts';
import { maskPhonesInText } from '../phone.ts';

export interface Output {
  json: boolean;
  write(text: string): void;
}

export function printResult(output: Output, value: unknown, human: () => string): void {
  output.write(output.json ? JSON.stringify(value, null, 2) : human());
}

export function fields(rows: [string, unknown][]): string {
  const shown = rows.filter(([, value]) => value !== undefined && value !== '');
  const width = Math.max(...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${`${name}:`.padEnd(width + 2)}${String(value)}`).join('\n');
}

export function describeSession(state: SessionState): string {
  const head = fields([
    ['session', state.sessionKey],
    ['mode', state.mode],
    [
      'status',
      state.status +
        (state.closedReason ? ` (${state.closedReason})` : state.failedReason ? ` (${state.failedReason})` : ''),
    ],
    ['failure', state.failure && `${state.failure.code}: ${maskPhonesInText(state.failure.message)}`],
    ['A', state.src],
    ['B', state.dst],
    ['virtual number', state.virtualNum],
    ['bind id', state.bindId],
    ['references', state.heldReferences],
    ['expires', state.expiresAt && `${state.expiresAt}${state.ttlMode === 'sliding' ? ' (sliding)' : ''}`],
    ['closing since', state.closingAt],
    [
      'unbind failing',
      state.unbindFailure && `${state.unbindFailure.code}: ${maskPhonesInText(state.unbindFailure.message)}`,
    ],
    ['closed', state.closedAt],
    ['missing recordings', state.missingRecordings?.join(', ')],
  ]);
  const calls = state.calls.map((call) => {
    const parts = [
      call.callId,
      call.state,
      `${call.caller ?? '?'} → ${call.callee ?? '?'}`,
      call.endStatusText,
      call.dstDuration === undefined ? undefined : `talked ${call.dstDuration}s`,
      call.recordUrl ? 'recorded' : undefined,
    ];
    return `  ${parts.filter(Boolean).join('  ')}`;
  });
  return [head, `calls:${calls.length ? '' : ' none'}`, ...calls].join('\n');
}

/** Runs one command against a connected app client, closing its connection afterwards. */
export async function withApp(connect: () => Promise<ConnectedApp>, run: (app: ConnectedApp) => Promise<void>) {
  const app = await connect();
  try {
    await run(app);
  } finally {
    await app.close();
  }
}
