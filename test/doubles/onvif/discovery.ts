/**
 * The WS-Discovery side of the ONVIF responder: a unicast UDP socket on 127.0.0.1 that answers a
 * Probe for `NetworkVideoTransmitter` with a ProbeMatches message (WS-Discovery 2005/04, as ONVIF
 * Core §7.3 uses it), sent back to the prober's address and port. Never a multicast socket.
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { builder, parser, textOf } from './xml.js';

export interface DiscoveryBehaviour {
  /** The device's endpoint reference. Default a fixed urn:uuid. */
  endpoint?: string;
  /** Default: a name, a hardware and a type scope. */
  scopes?: string[];
  /** Send a datagram that is no XML, then one that is XML but no SOAP, before the real answer. */
  malformedFirst?: boolean;
  /** How many times the same ProbeMatches is sent (UDP answers repeat, as WS-Discovery allows). Default 1. */
  repeats?: number;
  /** Never answers. */
  silent?: boolean;
}

const A = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const D = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
export const DEFAULT_ENDPOINT = 'urn:uuid:5f5a69c2-0000-4000-8000-00000000d0b1';
const DEFAULT_SCOPES = [
  'onvif://www.onvif.org/type/video_encoder',
  'onvif://www.onvif.org/name/Front%20Door%20Double',
  'onvif://www.onvif.org/hardware/ONVIF-Responder',
  'onvif://www.onvif.org/location/country/nowhere',
];

export async function startDiscoveryResponder(opts: DiscoveryBehaviour & { deviceUrl: string }) {
  const probes: { messageId: string; types: string }[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const envelope = parser.parse(msg.toString('utf8'))?.Envelope;
    const probe = envelope?.Body?.Probe;
    if (probe === undefined || opts.silent) return;
    const messageId = textOf(envelope.Header?.MessageID) ?? '';
    const types = textOf(probe.Types) ?? '';
    probes.push({ messageId, types });
    if (!types.split(/\s+/).some((t) => t.endsWith(':NetworkVideoTransmitter'))) return;
    const answer = builder.build({
      'SOAP-ENV:Envelope': {
        '@_xmlns:SOAP-ENV': 'http://www.w3.org/2003/05/soap-envelope',
        '@_xmlns:wsa': A,
        '@_xmlns:wsdd': D,
        '@_xmlns:dn': 'http://www.onvif.org/ver10/network/wsdl',
        '@_xmlns:tds': 'http://www.onvif.org/ver10/device/wsdl',
        'SOAP-ENV:Header': {
          'wsa:MessageID': `urn:uuid:${randomUUID()}`,
          'wsa:RelatesTo': messageId,
          'wsa:To': `${A}/role/anonymous`,
          'wsa:Action': `${D}/ProbeMatches`,
        },
        'SOAP-ENV:Body': {
          'wsdd:ProbeMatches': {
            'wsdd:ProbeMatch': {
              'wsa:EndpointReference': { 'wsa:Address': opts.endpoint ?? DEFAULT_ENDPOINT },
              'wsdd:Types': 'dn:NetworkVideoTransmitter tds:Device',
              'wsdd:Scopes': (opts.scopes ?? DEFAULT_SCOPES).join(' '),
              'wsdd:XAddrs': opts.deviceUrl,
              'wsdd:MetadataVersion': 1,
            },
          },
        },
      },
    });
    const datagrams = [...(opts.malformedFirst ? ['\u0000\u00ffnot xml <<', '<a><b>not soap</b></a>'] : []), ...Array.from({ length: opts.repeats ?? 1 }, () => answer)];
    for (const d of datagrams) socket.send(d, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    port: socket.address().port,
    probes,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
