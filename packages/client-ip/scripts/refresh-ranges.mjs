#!/usr/bin/env node
// Refreshes the provider range snapshots in data/*.json from the providers' published lists (needs network access).
//
//   node packages/client-ip/scripts/refresh-ranges.mjs              rewrite every snapshot
//   node packages/client-ip/scripts/refresh-ranges.mjs cloudflare   rewrite one
//   node packages/client-ip/scripts/refresh-ranges.mjs --check      report drift, exit 1 if any, write nothing
//
// Any fetch or parse failure exits non-zero before a file is touched, so a half-fetched list never ships.
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { pathToFileURL } from 'node:url';

/** Each provider: where it publishes, and how to turn the answers into IPv4 / IPv6 CIDR lists. */
export const PROVIDERS = {
  cloudflare: {
    description:
      "Cloudflare's published edge ranges: connections from Cloudflare to an origin come from these.",
    sources: ['https://www.cloudflare.com/ips-v4', 'https://www.cloudflare.com/ips-v6'],
    extract: ([v4, v6]) => ({ ipv4: lines(v4), ipv6: lines(v6) }),
  },
  cloudfront: {
    description:
      "Amazon CloudFront's published ranges (ip-ranges.json entries whose service is CLOUDFRONT): CloudFront edges and the hosts it reaches origins from.",
    sources: ['https://ip-ranges.amazonaws.com/ip-ranges.json'],
    extract: ([json]) => {
      const doc = JSON.parse(json);
      return {
        ipv4: doc.prefixes.filter((p) => p.service === 'CLOUDFRONT').map((p) => p.ip_prefix),
        ipv6: doc.ipv6_prefixes.filter((p) => p.service === 'CLOUDFRONT').map((p) => p.ipv6_prefix),
      };
    },
  },
  fastly: {
    description: "Fastly's published public IP list: connections from Fastly to an origin come from these.",
    sources: ['https://api.fastly.com/public-ip-list'],
    extract: ([json]) => {
      const doc = JSON.parse(json);
      return { ipv4: doc.addresses, ipv6: doc.ipv6_addresses };
    },
  },
};

function lines(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

function checkCidrs(list, family, name) {
  if (!Array.isArray(list) || list.length === 0)
    throw new Error(`${name}: no IPv${family} ranges in the answer`);
  for (const cidr of list) {
    const [address, prefix, extra] = String(cidr).split('/');
    const bits = Number(prefix);
    if (
      extra !== undefined ||
      isIP(address) !== family ||
      !Number.isInteger(bits) ||
      bits < 1 ||
      bits > (family === 4 ? 32 : 128)
    ) {
      throw new Error(`${name}: ${JSON.stringify(cidr)} is not an IPv${family} CIDR`);
    }
  }
  return [...new Set(list)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

async function fetchText(fetchImpl, url) {
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}

/**
 * Fetches every named provider, then (unless `check`) writes all snapshots. Returns the drift found:
 * per provider, ranges added and removed compared with the current file.
 */
export async function refresh({
  names = Object.keys(PROVIDERS),
  check = false,
  fetchImpl = globalThis.fetch,
  dataDir = new URL('../data/', import.meta.url),
  today = new Date().toISOString().slice(0, 10),
} = {}) {
  const fresh = {};
  for (const name of names) {
    const provider = PROVIDERS[name];
    if (!provider) throw new Error(`unknown provider ${name}; known: ${Object.keys(PROVIDERS).join(', ')}`);
    const bodies = await Promise.all(provider.sources.map((url) => fetchText(fetchImpl, url)));
    const { ipv4, ipv6 } = provider.extract(bodies);
    fresh[name] = {
      provider: name,
      description: provider.description,
      sources: provider.sources,
      snapshotDate: today,
      snapshotNote: `Fetched by scripts/refresh-ranges.mjs on ${today}.`,
      ipv4: checkCidrs(ipv4, 4, name),
      ipv6: checkCidrs(ipv6, 6, name),
    };
  }
  const drift = {};
  for (const [name, snapshot] of Object.entries(fresh)) {
    const file = new URL(`${name}.json`, dataDir);
    let current = { ipv4: [], ipv6: [] };
    try {
      current = JSON.parse(readFileSync(file, 'utf8'));
    } catch {}
    const before = new Set([...current.ipv4, ...current.ipv6]);
    const after = new Set([...snapshot.ipv4, ...snapshot.ipv6]);
    drift[name] = {
      added: [...after].filter((cidr) => !before.has(cidr)),
      removed: [...before].filter((cidr) => !after.has(cidr)),
    };
  }
  if (!check) {
    for (const [name, snapshot] of Object.entries(fresh)) {
      writeFileSync(new URL(`${name}.json`, dataDir), `${JSON.stringify(snapshot, null, 2)}\n`);
    }
  }
  return drift;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const names = args.filter((arg) => !arg.startsWith('--'));
  try {
    const drift = await refresh({ names: names.length ? names : undefined, check });
    let changed = false;
    for (const [name, { added, removed }] of Object.entries(drift)) {
      changed ||= added.length + removed.length > 0;
      console.log(`${name}: +${added.length} -${removed.length}${check ? '' : ' (written)'}`);
      for (const cidr of added) console.log(`  + ${cidr}`);
      for (const cidr of removed) console.log(`  - ${cidr}`);
    }
    process.exitCode = check && changed ? 1 : 0;
  } catch (error) {
    console.error(`refresh-ranges: ${error.message}`);
    console.error('Nothing was written. This script needs network access to the providers.');
    process.exitCode = 2;
  }
}
