// InFlight is attached once per server, however many packages attach it.
import { createServer } from 'node:http';
import { InFlight } from '@lbkit/core';
import { describe, expect, it } from 'vitest';

describe('InFlight.attach', () => {
  it('adds its listeners once per server and removes them when the last attachment is released', () => {
    const inFlight = new InFlight();
    const server = createServer();
    const before = server.listenerCount('request');
    const first = inFlight.attach(server);
    const second = inFlight.attach(server);
    expect(server.listenerCount('request')).toBe(before + 1);
    first();
    first();
    expect(server.listenerCount('request')).toBe(before + 1);
    second();
    expect(server.listenerCount('request')).toBe(before);
  });
});
