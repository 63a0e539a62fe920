import { describe, expect, it } from 'vitest';
import { numberLostNote, type SimRequest } from '../../chaos/checks.ts';
import type { SessionRun } from '../../chaos/load.ts';

describe('chaos report of sessions that lost their number', () => {
  const run = (workflowId: string, numberLost?: SessionRun['numberLost']) =>
    ({ workflowId, callBackWorkflowIds: [], callIds: [], numberLost }) as unknown as SessionRun;

  it('says nothing when no session lost its number', () => {
    expect(numberLostNote([run('s-1'), run('s-2')], [])).toBe('');
  });

  it("counts the unbind requests of the session's binding sent before the loss, and no others", () => {
    const requests: SimRequest[] = [
      { at: 1_000, action: 'DelVirtualNum', BindId: 'bind-34' },
      { at: 2_000, action: 'DelVirtualNum', BindId: 'bind-34' },
      { at: 2_500, action: 'GetVirtualNum' },
      { at: 2_600, action: 'DelVirtualNum', BindId: 'bind-7' },
      // The session's own unbind at closing, after the loss.
      { at: 9_000, action: 'DelVirtualNum', BindId: 'bind-34' },
    ];
    const runs = [
      run('s-33'),
      run('s-34', { bindId: 'bind-34', at: 5_000 }),
      run('s-35', { bindId: 'bind-35', at: 5_000 }),
    ];
    expect(numberLostNote(runs, requests)).toBe(
      '; 2 lost their number while holding it: s-34 (DelVirtualNum ×2 on its binding before), s-35 (DelVirtualNum ×0 on its binding before)',
    );
  });
});
