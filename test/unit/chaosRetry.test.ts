import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { retrying } from '../../chaos/retry.ts';

describe('the chaos load’s retrying', () => {
  it('tries again after a fault, up to its attempts', async () => {
    let calls = 0;
    const answer = await retrying(
      'flaky',
      async () => {
        calls++;
        if (calls < 3) throw new Error('connection refused');
        return 'done';
      },
      5,
      1,
    );
    expect([answer, calls]).toEqual(['done', 3]);
    await expect(retrying('down', () => Promise.reject(new Error('refused')), 2, 1)).rejects.toThrow(
      'down: gave up after 2 attempts: refused',
    );
  });

  it('takes a failed update as the answer: thrown at once, never asked again', async () => {
    let calls = 0;
    const refused = new WorkflowUpdateFailedError('Workflow Update failed', undefined);
    const attempt = retrying(
      'addReference',
      async () => {
        calls++;
        throw refused;
      },
      5,
      1,
    );
    await expect(attempt).rejects.toBe(refused);
    expect(calls).toBe(1);
  });
});
