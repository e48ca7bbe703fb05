// The Express majors @lbkit/express supports (peer range ^4.21.0 || ^5.0.0), for describe.each: each adapter test runs on both.
import express from 'express';
import express4 from 'express4';

/** `[label, express module]` for Express 5 and Express 4 (the `express4` alias of express@4). */
export const expressVersions: ReadonlyArray<readonly [string, typeof express]> = [
  ['Express 5', express],
  ['Express 4', express4],
];
