// Provider presets (cloudflare, cloudfront, fastly): range snapshots kept as data files with their date.
import { readFileSync } from 'node:fs';
import { LbkitError } from '@lbkit/core';
import type { RangePreset } from './types.js';

/** Names of the presets shipped in `data/`. */
export const PRESET_NAMES: readonly string[] = ['cloudflare', 'cloudfront', 'fastly'];

/**
 * The snapshot behind a preset, read from `data/<name>.json` (at startup, when a trust list is compiled). The file sits beside `src/`
 * and `dist/`, so the same relative URL works from source (tests) and from the build.
 */
export function rangePreset(name: string): RangePreset {
  if (!PRESET_NAMES.includes(name)) {
    throw new LbkitError('LBKIT_CLIENT_IP_TRUST_INVALID', `unknown preset ${JSON.stringify(name)}`, {
      hint: `Presets are ${PRESET_NAMES.join(', ')}.`,
    });
  }
  const url = new URL(`../data/${name}.json`, import.meta.url);
  let preset: RangePreset;
  try {
    preset = JSON.parse(readFileSync(url, 'utf8')) as RangePreset;
  } catch (cause) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_PRESET_INVALID',
      `cannot read the ${name} range snapshot at ${url.pathname}`,
      {
        hint: 'Reinstall @lbkit/client-ip, or run scripts/refresh-ranges.mjs to rewrite the data files.',
        cause,
      },
    );
  }
  if (
    !preset ||
    preset.provider !== name ||
    !Array.isArray(preset.ipv4) ||
    !Array.isArray(preset.ipv6) ||
    typeof preset.snapshotDate !== 'string'
  ) {
    throw new LbkitError(
      'LBKIT_CLIENT_IP_PRESET_INVALID',
      `the ${name} range snapshot at ${url.pathname} is malformed`,
      {
        hint: 'Reinstall @lbkit/client-ip, or run scripts/refresh-ranges.mjs to rewrite the data files.',
      },
    );
  }
  return preset;
}
