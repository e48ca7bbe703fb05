// The coded error a call refuses with: the strict-options tests of every package ask this one question.
import { isLbkitError, type LbkitError } from '@lbkit/core';

/** The LbkitError `fn` throws; any other error is rethrown, and nothing thrown fails the test. */
export function refusal(fn: () => unknown): LbkitError {
  try {
    fn();
  } catch (error) {
    if (isLbkitError(error)) return error;
    throw error;
  }
  throw new Error('expected an LbkitError, nothing was thrown');
}
