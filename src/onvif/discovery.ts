import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { NS, buildXml, child, children, soapBody, parseXml, text } from './xml.js';

/** Where the Probe goes: WS-Discovery's multicast group by default; tests name a loopback responder. */
export interface DiscoveryTarget {
  address: string;
  port: number;
}
export const MULTICAST_TARGET: DiscoveryTarget = { address: '239.255.255.250', port: 3702 };

/** One ONVIF device that answered the Probe. */
export interface ProbeMatch {
  /** WS-Addressing endpoint reference (`urn:uuid:...`): the device's identity across addresses. */
  endpoint: string;
  host: string;
  port: number;
  device_url: string;
  name: string | null;
  hardware: string | null;
}

/** A WS-Discovery Probe for ONVIF video transmitters, with a fresh message id. */
export function probeMessage(messageId = `urn:uuid:${randomUUID()}`): string {
  return buildXml({
    's:Envelope': {
      '@_xmlns:s': NS.soap,
      '@_xmlns:a': NS.addressing,
      '@_xmlns:d': NS.discovery,
      '@_xmlns:dn': NS.network,
      's:Header': {
        'a:Action': { '@_s:mustUnderstand': '1', '#text': `${NS.discovery}/Probe` },
        'a:MessageID': messageId,
        'a:ReplyTo': { 'a:Address': `${NS.addressing}/role/anonymous` },
        'a:To': { '@_s:mustUnderstand': '1', '#text': 'urn:schemas-xmlsoap-org:ws:2005:04:discovery' },
      },
      's:Body': { 'd:Probe': { 'd:Types': 'dn:NetworkVideoTransmitter' } },
    },
  });
}

const words = (s: string | null) => (s ?? '').split(/\s+/).filter(Boolean);

/** The value of an `onvif://www.onvif.org/<kind>/...` scope, percent-decoded. */
function scope(scopes: string[], kind: string): string | null {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const found = scopes.find((s) => s.toLowerCase().startsWith(prefix));
  if (found === undefined || found.length === prefix.length) return null;
  const raw = found.slice(prefix.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The device service address to use: the one on the address the answer came from, else the first HTTP one. */
function pickAddress(xaddrs: string[], from: string): URL | null {
  const urls = xaddrs.flatMap((x) => {
    try {
      const u = new URL(x);
      return u.protocol === 'http:' || u.protocol === 'https:' ? [u] : [];
    } catch {
      return [];
    }
  });
  return urls.find((u) => u.hostname === from) ?? urls[0] ?? null;
}

/** The ProbeMatch entries of one datagram (none when it is not a WS-Discovery answer). */
export function parseProbeMatches(datagram: Buffer, from: string): ProbeMatch[] {
  const matches = children(child(soapBody(parseXml(datagram.toString('utf8'))), 'ProbeMatches'), 'ProbeMatch');
  return matches.flatMap((m) => {
    const url = pickAddress(words(text(child(m, 'XAddrs'))), from);
    if (url === null) return [];
    const scopes = words(text(child(m, 'Scopes')));
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    return [
      {
        endpoint: text(child(m, 'EndpointReference', 'Address')) ?? url.toString(),
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port,
        device_url: url.toString(),
        name: scope(scopes, 'name'),
        hardware: scope(scopes, 'hardware'),
      },
    ];
  });
}

export interface ProbeOptions {
  target: DiscoveryTarget;
  timeoutMs: number;
  /** Called once per endpoint, as answers arrive. */
  onDevice: (device: ProbeMatch) => void;
}

/**
 * Sends one Probe and collects the answers until `timeoutMs` has passed; malformed datagrams are
 * ignored. Rejects when the Probe cannot be sent (no route to the multicast group, for instance).
 */
export function probe({ target, timeoutMs, onDevice }: ProbeOptions): Promise<void> {
  const seen = new Set<string>();
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    for (const device of parseProbeMatches(msg, rinfo.address)) {
      if (seen.has(device.endpoint)) continue;
      seen.add(device.endpoint);
      onDevice(device);
    }
  });
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    socket.once('error', finish);
    socket.bind(0, () => {
      // A scan ends by itself within its limit; it never holds the process open on the way out.
      socket.unref();
      timer = setTimeout(() => finish(), timeoutMs).unref();
      try {
        socket.send(probeMessage(), target.port, target.address, (err) => {
          if (err) finish(err);
        });
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}
