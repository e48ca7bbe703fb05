import { describe, expect, it } from 'vitest';
import { parseForwarded } from '../src/forwarded-parser.js';

const byValues = (header: string) => parseForwarded(header).map((e) => (e.broken ? null : e.by));

describe('RFC 7239 parser', () => {
  it('unescapes quoted strings, keeping commas and semicolons inside quotes (forwarded-parse cases)', () => {
    const header = [
      'by="bar"',
      'by="ba\\r"',
      'by=",;"',
      'by=""',
      'by=" "',
      'by="\t"',
      'by="\\""',
      'by="\\\\"',
      'by="¥"',
      'by="\\§"',
    ].join(',');
    expect(byValues(header)).toEqual(['bar', 'bar', ',;', '', ' ', '\t', '"', '\\', '¥', '§']);
  });

  it('keeps for, by, host and proto of each element and skips empty elements', () => {
    expect(
      parseForwarded(' , for=192.0.2.1;by=_edge;host="a.example:8443";proto=https ,, for="[::1]:80" ,'),
    ).toEqual([
      { for: '192.0.2.1', by: '_edge', host: 'a.example:8443', proto: 'https', broken: false },
      { for: '[::1]:80', by: undefined, host: undefined, proto: undefined, broken: false },
    ]);
  });

  it('marks an element broken and resumes at the next comma', () => {
    const elements = parseForwarded(
      'for=1.1.1.1;for=2.2.2.2, for=a b, for=3.3.3.3, f@r=x, for="Ω", for=4.4.4.4',
    );
    expect(elements.map((e) => (e.broken ? 'broken' : e.for))).toEqual([
      'broken',
      'broken',
      '3.3.3.3',
      'broken',
      'broken',
      '4.4.4.4',
    ]);
  });

  it('an unterminated quote breaks its element only', () => {
    expect(parseForwarded('for="1.1.1.1, for=2.2.2.2').map((e) => (e.broken ? 'broken' : e.for))).toEqual([
      'broken',
      '2.2.2.2',
    ]);
  });

  it('duplicate extension parameters break the element too', () => {
    expect(parseForwarded('for=1.1.1.1;x=1;X=2')[0]!.broken).toBe(true);
  });

  it('after an unterminated quote, escaped quotes cannot open new ones (the scan never backs up twice)', () => {
    // Every element after the first is `\"x`: broken (an escape outside quotes), never a new quoted string.
    const evil = `for="x${',\\"x'.repeat(2000)}, for=192.0.2.9`;
    const elements = parseForwarded(evil);
    expect(elements.length).toBe(2002);
    expect(elements.slice(0, -1).every((e) => e.broken)).toBe(true);
    expect(elements.at(-1)).toMatchObject({ for: '192.0.2.9', broken: false });
  });
});
