import { agentReply, type LoadReading, weightPercent } from '@lbkit/balancer-feedback';
import { describe, expect, it } from 'vitest';

const reading = (over: Partial<LoadReading>): LoadReading => ({
  state: 'ready',
  inFlight: 0,
  queued: 0,
  limit: 10,
  utilization: 0,
  ...over,
});

describe('agentReply', () => {
  it('answers down while starting, drain while draining and maint once stopped', () => {
    expect(agentReply(reading({ state: 'starting' }), 1)).toBe('down #starting');
    expect(agentReply(reading({ state: 'draining', utilization: 0.2 }), 1)).toBe('drain');
    expect(agentReply(reading({ state: 'stopped' }), 1)).toBe('maint #stopped');
  });

  it('answers up ready with the headroom as the weight when ready', () => {
    expect(agentReply(reading({ utilization: 0 }), 1)).toBe('up ready 100%');
    expect(agentReply(reading({ utilization: 0.2 }), 1)).toBe('up ready 80%');
    expect(agentReply(reading({ utilization: 0.999 }), 1)).toBe('up ready 1%');
  });

  it('never reports less than the minimum weight when overloaded, even with a queue beyond the limit', () => {
    expect(agentReply(reading({ utilization: 1 }), 1)).toBe('up ready 1%');
    expect(agentReply(reading({ utilization: 3.5 }), 5)).toBe('up ready 5%');
  });

  it('scales the weight by the slow-start factor, down to the minimum weight', () => {
    expect(agentReply(reading({ utilization: 0 }), 1, 0.25)).toBe('up ready 25%');
    expect(agentReply(reading({ utilization: 0.5 }), 1, 0.5)).toBe('up ready 25%');
    expect(agentReply(reading({ utilization: 0 }), 20, 0.1)).toBe('up ready 20%');
    expect(agentReply(reading({ state: 'draining' }), 1, 0.1)).toBe('drain');
  });
});

describe('weightPercent', () => {
  it('rounds the headroom to whole percent within [min, 100]', () => {
    expect(weightPercent(0.333, 1)).toBe(67);
    expect(weightPercent(0.5, 60)).toBe(60);
    expect(weightPercent(-1, 1)).toBe(100);
    expect(weightPercent(Number.NaN, 1)).toBe(100);
  });
});
