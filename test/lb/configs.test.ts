// Every nginx and HAProxy configuration in examples/lb passes `nginx -t` / `haproxy -c` once rendered.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { haproxyBinary, nginxBinary } from '../helpers/lb-process.js';
import { requireService } from '../helpers/services.js';
import { testCertificate } from '../helpers/tls.js';

const LB_DIR = fileURLToPath(new URL('../../examples/lb/', import.meta.url));
const files = readdirSync(LB_DIR).filter((name) => /\.(cfg|conf)(\.template)?$/.test(name));
const nginxFiles = files.filter((name) => name.includes('nginx'));
const haproxyFiles = files.filter((name) => name.includes('haproxy'));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Renders one file into a fresh folder: DIR is the folder, every placeholder naming a port gets a
 * distinct test port, and the certificates the TLS examples reference (cert.pem, key.pem,
 * haproxy.pem) are written beside it. An unknown placeholder fails the test, naming it.
 */
function render(name: string, kind: 'nginx' | 'haproxy'): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), `lbkit-config-${kind}-`));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  const { key, cert } = testCertificate();
  writeFileSync(join(dir, 'cert.pem'), cert);
  writeFileSync(join(dir, 'key.pem'), key);
  writeFileSync(join(dir, 'haproxy.pem'), `${cert}\n${key}`);
  const template = readFileSync(join(LB_DIR, name), 'utf8');
  const values = new Map<string, string>([['DIR', dir]]);
  let port = 20_000;
  const text = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, placeholder: string) => {
    if (!values.has(placeholder) && placeholder.includes('PORT')) values.set(placeholder, String(port++));
    const value = values.get(placeholder);
    if (value === undefined) throw new Error(`${name}: no test value for placeholder {{${placeholder}}}`);
    return value;
  });
  const config = join(dir, kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
  writeFileSync(config, text);
  return { dir, config };
}

describe('examples/lb configuration files', () => {
  it('has nginx and HAProxy configurations to check', () => {
    expect(nginxFiles.length).toBeGreaterThan(0);
    expect(haproxyFiles.length).toBeGreaterThan(0);
    expect(files.length).toBe(nginxFiles.length + haproxyFiles.length);
  });
});

describe.runIf(requireService('nginx', Boolean(nginxBinary), 'apt-get install nginx-light'))(
  'nginx -t',
  () => {
    it.each(nginxFiles)('%s passes nginx -t', (name) => {
      const { dir, config } = render(name, 'nginx');
      const run = spawnSync(nginxBinary!, ['-t', '-p', dir, '-c', config, '-e', join(dir, 'error.log')], {
        encoding: 'utf8',
      });
      expect(run.stderr).toContain('test is successful');
      expect(run.status).toBe(0);
    });
  },
);

describe.runIf(requireService('haproxy', Boolean(haproxyBinary), 'apt-get install haproxy'))(
  'haproxy -c',
  () => {
    it.each(haproxyFiles)('%s passes haproxy -c without warnings', (name) => {
      const { config } = render(name, 'haproxy');
      const run = spawnSync(haproxyBinary!, ['-c', '-f', config], { encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`).toContain('Configuration file is valid');
      expect(run.stderr).not.toMatch(/\[WARNING\]|\[ALERT\]/);
      expect(run.status).toBe(0);
    });
  },
);
