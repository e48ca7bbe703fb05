// runDoctor refuses misuse before sending anything: a non-http URL, an unknown option, a bad value.
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/index.js';

describe('runDoctor options', () => {
  it('refuses a URL that is not http:// with LBKIT_DOCTOR_URL_INVALID', async () => {
    await expect(runDoctor('https://127.0.0.1:1/')).rejects.toMatchObject({
      code: 'LBKIT_DOCTOR_URL_INVALID',
    });
    await expect(runDoctor('not a url')).rejects.toMatchObject({ code: 'LBKIT_DOCTOR_URL_INVALID' });
  });

  it('refuses an unknown option, naming the closest known one', async () => {
    const error = await runDoctor('http://127.0.0.1:1/', { idleTimeout: 60 } as never).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'LBKIT_DOCTOR_OPTION_UNKNOWN' });
    expect((error as Error).message).toContain('"idleTimeoutS"');
  });

  it('refuses a probe path without a leading slash and a balancer it does not know', async () => {
    await expect(runDoctor('http://127.0.0.1:1/', { ready: 'ready' })).rejects.toMatchObject({
      code: 'LBKIT_DOCTOR_OPTION_INVALID',
    });
    await expect(runDoctor('http://127.0.0.1:1/', { behind: 'f5' as never })).rejects.toMatchObject({
      code: 'LBKIT_DOCTOR_OPTION_INVALID',
    });
  });
});
