// withTimeout(): the one timeout race every package uses — the work's value, the fallback, timers unref'd and cleared.
import { withTimeout } from '@lbkit/core/internal';
import { describe, expect, it } from 'vitest';

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('withTimeout', () => {
  it('resolves with the work’s value when the work settles first', async () => {
    await expect(withTimeout(Promise.resolve('done'), 60_000, 'late')).resolves.toBe('done');
  });

  it('resolves with the fallback when the work outlives the bound, and calls onTimeout once', async () => {
    let calls = 0;
    const never = new Promise<string>(() => {});
    await expect(withTimeout(never, 1, 'late', { onTimeout: () => calls++ })).resolves.toBe('late');
    expect(calls).toBe(1);
  });

  it('rejects with the work’s error when it rejects first', async () => {
    await expect(withTimeout(Promise.reject(new Error('refused')), 60_000, 'late')).rejects.toThrow(
      'refused',
    );
  });

  it('ignores a rejection that comes after the timeout', async () => {
    let fail!: (error: Error) => void;
    const work = new Promise<string>((_resolve, reject) => {
      fail = reject;
    });
    await expect(withTimeout(work, 1, 'late')).resolves.toBe('late');
    fail(new Error('too late'));
    await expect(work).rejects.toThrow('too late');
  });

  it('rejects with what onTimeout throws', async () => {
    const never = new Promise<string>(() => {});
    const boom = (): never => {
      throw new Error('abort failed');
    };
    await expect(withTimeout(never, 1, 'late', { onTimeout: boom })).rejects.toThrow('abort failed');
  });

  it('never keeps the process alive unless ref is asked for', async () => {
    const before = timers();
    const never = new Promise<string>(() => {});
    const pending = withTimeout(never, 60_000, 'late');
    expect(timers()).toBe(before);
    const held = withTimeout(never, 1, 'late', { ref: true });
    expect(timers()).toBe(before + 1);
    await held;
    void pending;
  });

  it('clears its timer when the work wins', async () => {
    const before = timers();
    let finish!: (value: string) => void;
    const work = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const raced = withTimeout(work, 60_000, 'late', { ref: true });
    expect(timers()).toBe(before + 1);
    finish('done');
    await expect(raced).resolves.toBe('done');
    expect(timers()).toBe(before);
  });
});
