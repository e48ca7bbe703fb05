import { createClientIpResolver, parseProxyProtocol } from '@lbkit/client-ip';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/proxy-protocol/crc32c.js';
import { setProxyProtocolInfo } from '../src/proxy-protocol/info.js';
import { buildV2 } from './proxy-protocol-bytes.js';

const text = (s: string) => Buffer.from(s, 'latin1');

describe('PROXY protocol v1', () => {
  it('reads TCP4 with the header length, leaving what follows to the application', () => {
    const line = 'PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n';
    const parsed = parseProxyProtocol(text(`${line}GET / HTTP/1.1\r\n`));
    expect(parsed).toMatchObject({
      status: 'ok',
      length: line.length,
      info: {
        version: 1,
        command: 'proxy',
        family: 'tcp4',
        source: { address: '192.0.2.1', port: 56324 },
        destination: { address: '198.51.100.2', port: 443 },
      },
    });
  });

  it('reads TCP6 and writes the addresses canonically (IPv4-mapped becomes IPv4)', () => {
    const parsed = parseProxyProtocol(text('PROXY TCP6 2001:DB8:0:0::1 ::ffff:10.0.0.1 1 2\r\n'));
    expect(parsed).toMatchObject({
      status: 'ok',
      info: { family: 'tcp6', source: { address: '2001:db8::1' }, destination: { address: '10.0.0.1' } },
    });
  });

  it('UNKNOWN keeps the socket address, whatever follows it on the line', () => {
    for (const line of [
      'PROXY UNKNOWN\r\n',
      'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n',
    ]) {
      expect(parseProxyProtocol(text(line))).toMatchObject({
        status: 'ok',
        length: line.length,
        info: { family: 'unknown', source: undefined },
      });
    }
  });

  it('accepts a 107-byte line and refuses a longer one', () => {
    const line107 = `PROXY UNKNOWN ${'x'.repeat(107 - 16)}\r\n`;
    expect(line107.length).toBe(107);
    expect(parseProxyProtocol(text(line107)).status).toBe('ok');
    const line108 = `PROXY UNKNOWN ${'x'.repeat(108 - 16)}\r\n`;
    expect(parseProxyProtocol(text(line108))).toMatchObject({ status: 'invalid' });
    expect(parseProxyProtocol(text(`PROXY TCP4 ${'1'.repeat(120)}`))).toMatchObject({ status: 'invalid' });
  });

  it('waits for more bytes while the line could still be a header', () => {
    expect(parseProxyProtocol(text('PRO')).status).toBe('incomplete');
    expect(parseProxyProtocol(text('PROXY TCP4 192.0.2.1 ')).status).toBe('incomplete');
  });

  it.each([
    ['plain HTTP (no sniffing)', 'GET / HTTP/1.1\r\n'],
    ['lower case', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['LF without CR', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'],
    ['a double space', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'],
    ['a missing port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'],
    ['a port above 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'],
    ['a zero-padded port', 'PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n'],
    ['an octal address', 'PROXY TCP4 0177.0.0.1 5.6.7.8 1 2\r\n'],
    ['IPv6 under TCP4', 'PROXY TCP4 ::1 ::1 1 2\r\n'],
    ['IPv4 under TCP6', 'PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['an unknown protocol', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['a control byte', 'PROXY TCP4 1.2.3.4\x005.6.7.8 1 2\r\n'],
  ])('refuses %s', (_label, line) => {
    expect(parseProxyProtocol(text(line))).toMatchObject({ status: 'invalid' });
  });
});

describe('PROXY protocol v2', () => {
  it('reads TCP4 and honours the length field', () => {
    const header = buildV2({
      family: 0x11,
      source: '192.0.2.1',
      destination: '198.51.100.2',
      sourcePort: 5000,
      destinationPort: 443,
    });
    const bytes = Buffer.concat([header, text('GET /')]);
    expect(parseProxyProtocol(bytes)).toMatchObject({
      status: 'ok',
      length: header.length,
      info: { version: 2, command: 'proxy', family: 'tcp4', source: { address: '192.0.2.1', port: 5000 } },
    });
    expect(parseProxyProtocol(bytes.subarray(0, header.length - 1)).status).toBe('incomplete');
  });

  it('reads TCP6, IPv4-mapped source written as IPv4', () => {
    const header = buildV2({
      family: 0x21,
      source: '::ffff:203.0.113.5',
      destination: '2001:db8::80',
      sourcePort: 1,
      destinationPort: 2,
    });
    expect(parseProxyProtocol(header)).toMatchObject({
      status: 'ok',
      info: { family: 'tcp6', source: { address: '203.0.113.5' }, destination: { address: '2001:db8::80' } },
    });
  });

  it('LOCAL keeps the socket address and skips its protocol block', () => {
    const header = buildV2({ command: 0, family: 0x11, source: '192.0.2.1', destination: '192.0.2.2' });
    expect(parseProxyProtocol(header)).toMatchObject({
      status: 'ok',
      length: header.length,
      info: { command: 'local', family: 'unknown', source: undefined },
    });
  });

  it('UNSPEC and UNIX keep the socket address', () => {
    expect(parseProxyProtocol(buildV2({ family: 0x00 }))).toMatchObject({
      status: 'ok',
      info: { family: 'unknown', source: undefined },
    });
    expect(parseProxyProtocol(buildV2({ family: 0x31, raw: Buffer.alloc(216) }))).toMatchObject({
      status: 'ok',
      info: { family: 'unix', source: undefined },
    });
  });

  it('decodes ALPN, authority, unique id, SSL (with sub-TLVs), netns, AWS 0xEA and Azure 0xEE TLVs', () => {
    const ssl = Buffer.concat([
      Buffer.from([0x07, 0, 0, 0, 0]),
      tlv(0x21, text('TLSv1.3')),
      tlv(0x22, Buffer.from('client-ä', 'utf8')),
      tlv(0x23, text('TLS_AES_128_GCM_SHA256')),
      tlv(0x24, text('SHA256')),
      tlv(0x25, text('RSA2048')),
    ]);
    const azure = Buffer.alloc(5);
    azure[0] = 0x01;
    azure.writeUInt32LE(0xdeadbeef, 1);
    const header = buildV2({
      family: 0x11,
      source: '192.0.2.1',
      destination: '192.0.2.2',
      tlvs: [
        [0x01, text('h2')],
        [0x02, text('app.example')],
        [0x04, Buffer.alloc(3)],
        [0x05, Buffer.from([1, 2, 3])],
        [0x20, ssl],
        [0x30, text('blue')],
        [0xea, Buffer.concat([Buffer.from([0x01]), text('vpce-08d2bf15fac5001c9')])],
        [0xee, azure],
        [0xe5, text('custom')],
      ],
    });
    const parsed = parseProxyProtocol(header);
    expect(parsed.status).toBe('ok');
    if (parsed.status !== 'ok') return;
    const { tlvs } = parsed.info;
    expect(tlvs).toMatchObject({
      alpn: 'h2',
      authority: 'app.example',
      uniqueId: Buffer.from([1, 2, 3]),
      netns: 'blue',
      awsVpceId: 'vpce-08d2bf15fac5001c9',
      azureLinkId: 0xdeadbeef,
      ssl: {
        client: true,
        clientCertConnection: true,
        clientCertSession: true,
        verified: true,
        version: 'TLSv1.3',
        commonName: 'client-ä',
        cipher: 'TLS_AES_128_GCM_SHA256',
        signatureAlgorithm: 'SHA256',
        keyAlgorithm: 'RSA2048',
      },
    });
    expect(tlvs.raw.map((t) => t.type)).toEqual([0x01, 0x02, 0x04, 0x05, 0x20, 0x30, 0xea, 0xee, 0xe5]);
  });

  it('checks a CRC32C TLV over the whole header', () => {
    expect(crc32c(text('123456789'))).toBe(0xe3069283);
    const good = buildV2({ family: 0x11, source: '192.0.2.1', destination: '192.0.2.2', crc: true });
    expect(parseProxyProtocol(good)).toMatchObject({
      status: 'ok',
      info: { tlvs: { crc32cVerified: true } },
    });
    const bad = Buffer.from(good);
    bad[17] = (bad[17]! + 1) & 0xff;
    expect(parseProxyProtocol(bad)).toMatchObject({
      status: 'invalid',
      detail: expect.stringContaining('CRC32C'),
    });
  });

  it.each([
    ['version 1 in a v2 signature', (b: Buffer) => (b[12] = 0x11)],
    ['an unknown command', (b: Buffer) => (b[12] = 0x22)],
    ['a datagram family', (b: Buffer) => (b[13] = 0x12)],
    ['an unknown family', (b: Buffer) => (b[13] = 0x41)],
  ])('refuses %s', (_label, corrupt) => {
    const header = buildV2({ family: 0x11, source: '192.0.2.1', destination: '192.0.2.2' });
    corrupt(header);
    expect(parseProxyProtocol(header)).toMatchObject({ status: 'invalid' });
  });

  it('refuses a length too short for the addresses and a TLV running past the header', () => {
    expect(parseProxyProtocol(buildV2({ family: 0x21, raw: Buffer.alloc(12) }))).toMatchObject({
      status: 'invalid',
    });
    const overrun = buildV2({
      family: 0x11,
      source: '192.0.2.1',
      destination: '192.0.2.2',
      raw: Buffer.concat([Buffer.alloc(12, 1), Buffer.from([0x01, 0x00, 0x09, 0x41])]),
    });
    expect(parseProxyProtocol(overrun)).toMatchObject({
      status: 'invalid',
      detail: expect.stringContaining('TLV'),
    });
  });

  it('refuses a truncated signature mismatch at once', () => {
    expect(parseProxyProtocol(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x01]))).toMatchObject({
      status: 'invalid',
    });
    expect(parseProxyProtocol(Buffer.from([0x0d, 0x0a, 0x0d])).status).toBe('incomplete');
  });

  it('accepts only the configured versions', () => {
    const v1 = text('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n');
    expect(parseProxyProtocol(v1, [2])).toMatchObject({ status: 'invalid' });
    expect(parseProxyProtocol(buildV2({ family: 0x00 }), [1])).toMatchObject({ status: 'invalid' });
  });
});

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

describe('the proxy-protocol source', () => {
  const resolver = createClientIpResolver({ trust: '10.0.0.0/8', source: 'proxy-protocol' });
  const socketWith = (line: string, remoteAddress = '10.0.0.5') => {
    const parsed = parseProxyProtocol(text(line));
    if (parsed.status !== 'ok') throw new Error(parsed.status);
    const socket = { remoteAddress, localPort: 80 };
    setProxyProtocolInfo(socket, parsed.info);
    return { headers: {}, socket };
  };

  it('answers the header source from an allowed peer', () => {
    expect(resolver.ip(socketWith('PROXY TCP4 203.0.113.1 10.0.0.1 1 443\r\n'))).toBe('203.0.113.1');
  });

  it('an unspecified source address keeps the socket address', () => {
    expect(resolver.ip(socketWith('PROXY TCP4 0.0.0.0 10.0.0.1 1 443\r\n'))).toBe('10.0.0.5');
  });

  it('a socket that did not come through acceptProxyProtocol keeps its address', () => {
    expect(resolver.ip({ headers: {}, socket: { remoteAddress: '10.0.0.5' } })).toBe('10.0.0.5');
  });

  it('a peer outside trust keeps its address even with a header', () => {
    expect(resolver.ip(socketWith('PROXY TCP4 203.0.113.1 10.0.0.1 1 443\r\n', '192.0.2.9'))).toBe(
      '192.0.2.9',
    );
  });
});
