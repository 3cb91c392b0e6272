import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT } from '../../test/doubles/onvif/discovery.js';
import { startOnvifResponder, type Responder } from '../../test/doubles/onvif/responder.js';
import { parseProbeMatches, probe, probeMessage, type ProbeMatch } from './discovery.js';
import { child, parseXml, text } from './xml.js';

// Every probe here goes to a unicast socket on 127.0.0.1, never to the multicast group.
let responder: Responder | null = null;
afterEach(async () => {
  await responder?.close();
  responder = null;
});

describe('WS-Discovery', () => {
  it('a Probe for NetworkVideoTransmitter with a fresh urn:uuid MessageID', () => {
    const [a, b] = [parseXml(probeMessage()), parseXml(probeMessage())];
    const id = (doc: unknown) => text(child(doc, 'Envelope', 'Header', 'MessageID'));
    expect(id(a)).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(id(a)).not.toBe(id(b));
    expect(text(child(a, 'Envelope', 'Body', 'Probe', 'Types'))).toBe('dn:NetworkVideoTransmitter');
  });

  it('finds the responder, parses name and hardware, ignores malformed datagrams and repeated answers', async () => {
    responder = await startOnvifResponder({ discovery: { malformedFirst: true, repeats: 3 } });
    const found: ProbeMatch[] = [];
    await probe({ target: { address: '127.0.0.1', port: responder.discoveryPort }, timeoutMs: 2000, onDevice: (d) => found.push(d) });
    expect(found).toEqual([
      {
        endpoint: DEFAULT_ENDPOINT,
        host: '127.0.0.1',
        port: responder.port,
        device_url: `http://127.0.0.1:${responder.port}/onvif/device_service`,
        name: 'Front Door Double',
        hardware: 'ONVIF-Responder',
      },
    ]);
    expect(responder.probes).toHaveLength(1);
    expect(responder.probes[0]!.types).toBe('dn:NetworkVideoTransmitter');
  });

  it('ends at the time limit when nobody answers', async () => {
    responder = await startOnvifResponder({ mode: 'silent' });
    const found: ProbeMatch[] = [];
    await probe({ target: { address: '127.0.0.1', port: responder.discoveryPort }, timeoutMs: 300, onDevice: (d) => found.push(d) });
    expect(found).toEqual([]);
  });

  it('rejects when the Probe cannot be sent', async () => {
    // Port 0 is no destination: the send fails at once, on this machine.
    await expect(probe({ target: { address: '127.0.0.1', port: 0 }, timeoutMs: 5000, onDevice: () => {} })).rejects.toThrow();
  });

  it.each([
    ['not XML', '\u0000<<', []],
    ['XML that is no SOAP', '<a><b/></a>', []],
    [
      'a ProbeMatch without an HTTP XAddr',
      '<e:Envelope xmlns:e="x"><e:Body><d:ProbeMatches xmlns:d="y"><d:ProbeMatch><d:XAddrs>urn:x</d:XAddrs></d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>',
      [],
    ],
  ])('parseProbeMatches: %s gives nothing', (_what, datagram, expected) => {
    expect(parseProbeMatches(Buffer.from(datagram), '127.0.0.1')).toEqual(expected);
  });

  it('parseProbeMatches prefers the address the answer came from, and defaults the port', () => {
    const datagram =
      '<Envelope><Body><ProbeMatches><ProbeMatch><EndpointReference><Address>urn:uuid:1</Address></EndpointReference>' +
      '<Scopes>onvif://www.onvif.org/name/Caf%C3%A9 onvif://www.onvif.org/hardware/X%ZZ</Scopes>' +
      '<XAddrs>http://[fe80::1]/onvif/device_service http://127.0.0.1/onvif/device_service</XAddrs></ProbeMatch></ProbeMatches></Body></Envelope>';
    expect(parseProbeMatches(Buffer.from(datagram), '127.0.0.1')).toEqual([
      { endpoint: 'urn:uuid:1', host: '127.0.0.1', port: 80, device_url: 'http://127.0.0.1/onvif/device_service', name: 'Café', hardware: 'X%ZZ' },
    ]);
  });

  it('a probe socket that gets garbage keeps listening', async () => {
    // A stand-in "camera" on loopback that answers with garbage only.
    const noisy = createSocket('udp4');
    noisy.on('message', (_m, r) => noisy.send('garbage', r.port, r.address));
    await new Promise<void>((r) => noisy.bind(0, '127.0.0.1', r));
    try {
      const found: ProbeMatch[] = [];
      await probe({ target: { address: '127.0.0.1', port: noisy.address().port }, timeoutMs: 300, onDevice: (d) => found.push(d) });
      expect(found).toEqual([]);
    } finally {
      await new Promise<void>((r) => noisy.close(() => r()));
    }
  });
});
