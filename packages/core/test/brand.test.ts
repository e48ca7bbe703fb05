// Brands recognise lbkit's objects across two copies of a package, where instanceof fails (issue #14).
import { describe, expect, it } from 'vitest';
import { brand } from '../src/brand.js';
import { isLifecycle, Lifecycle } from '../src/index.js';

/** A second evaluation of a source file: what a second install of the package is to the first. */
function secondCopy<M>(path: string): Promise<M> {
  return import(`${path}?second-copy`) as Promise<M>;
}

describe('brand()', () => {
  it('recognises what it marked, and nothing else', () => {
    const widget = brand<{ name: string }>('test.widget');
    const marked = widget.mark({ name: 'a' });
    expect(widget.is(marked)).toBe(true);
    expect(widget.is({ name: 'b' })).toBe(false);
    expect(widget.is(null)).toBe(false);
    expect(widget.is('lbkit.test.widget')).toBe(false);
    expect(brand('test.other').is(marked)).toBe(false);
  });

  it('is shared by every copy of the module, since the key is Symbol.for', async () => {
    const copy = await secondCopy<typeof import('../src/brand.js')>('../src/brand.js');
    expect(copy.brand).not.toBe(brand);
    expect(copy.brand('test.widget').is(brand('test.widget').mark({}))).toBe(true);
  });

  it('is invisible to spreads, JSON, Object.keys and for…in', () => {
    const marked = brand('test.widget').mark({ name: 'a' });
    expect(Object.keys(marked)).toEqual(['name']);
    expect(JSON.stringify(marked)).toBe('{"name":"a"}');
    expect(brand('test.widget').is({ ...marked })).toBe(false);
    expect(Object.getOwnPropertySymbols(marked)).toEqual([Symbol.for('lbkit.test.widget')]);
  });
});

describe('isLifecycle()', () => {
  it('recognises a Lifecycle made by another copy of @lbkit/core', async () => {
    const copy = await secondCopy<typeof import('../src/lifecycle.js')>('../src/lifecycle.js');
    const other = new copy.Lifecycle();
    expect(other instanceof Lifecycle).toBe(false);
    expect(isLifecycle(other)).toBe(true);
    expect(isLifecycle(new Lifecycle())).toBe(true);
    expect(isLifecycle({ state: 'ready', inFlight: {} })).toBe(false);
  });
});
