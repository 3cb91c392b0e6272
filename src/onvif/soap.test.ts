import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startOnvifResponder, type Responder } from '../../test/doubles/onvif/responder.js';
import { freePort } from '../../test/support/ports.js';
import { ApiError } from '../shared/errors.js';
import { envelope, soapCall, usernameToken, type SoapTarget } from './soap.js';
import { NS, child, parseXml, soapBody, text } from './xml.js';

let responder: Responder | null = null;
afterEach(async () => {
  await responder?.close();
  responder = null;
});

const target = (port: number, over: Partial<SoapTarget> = {}): SoapTarget => ({ endpoint: `127.0.0.1:${port}`, credentials: null, clockOffsetMs: 0, timeoutMs: 5000, ...over });
const deviceUrl = (port: number) => `http://127.0.0.1:${port}/onvif/device_service`;
const info = { 'tds:GetDeviceInformation': '' };
const infoAction = `${NS.device}/GetDeviceInformation`;

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const err: unknown = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('SOAP envelopes', () => {
  it('escapes <&" in credentials: the parsed envelope holds them exactly', () => {
    const credentials = { username: 'op<&">\'', password: 'p<&"ss' };
    const xml = envelope(info, usernameToken(credentials, Date.UTC(2024, 0, 2, 3, 4, 5, 678), Buffer.alloc(16, 7)));
    expect(xml).not.toContain('op<&"');
    const token = child(parseXml(xml), 'Envelope', 'Header', 'Security', 'UsernameToken');
    expect(text(child(token, 'Username'))).toBe(credentials.username);
    expect(text(child(token, 'Created'))).toBe('2024-01-02T03:04:05Z');
    // PasswordDigest = Base64(SHA1(nonce + created + password)): the password itself is never sent.
    const expected = createHash('sha1').update(Buffer.alloc(16, 7)).update('2024-01-02T03:04:05Z').update(credentials.password).digest('base64');
    expect(text(child(token, 'Password'))).toBe(expected);
    expect(xml).not.toContain('p<&"ss');
    expect(xml).not.toContain('p&lt;&amp;&quot;ss');
    expect(soapBody(parseXml(xml))).toHaveProperty('GetDeviceInformation');
  });

  it('a fresh nonce each time', () => {
    const a = text(child(usernameToken({ username: 'u', password: 'p' }, 0), 'wsse:Security', 'wsse:UsernameToken', 'wsse:Nonce'));
    const b = text(child(usernameToken({ username: 'u', password: 'p' }, 0), 'wsse:Security', 'wsse:UsernameToken', 'wsse:Nonce'));
    expect(a).not.toBe(b);
  });
});

describe('soapCall against the local responder', () => {
  it('authenticates with a digest in the camera clock: a token dated by our clock is refused by a camera 2 h ahead', async () => {
    const credentials = { username: 'admin', password: 'pa<&"ss' };
    responder = await startOnvifResponder({ credentials, clockSkewMs: 2 * 3600_000 });
    const ok = await soapCall(deviceUrl(responder.port), infoAction, info, target(responder.port, { credentials, clockOffsetMs: 2 * 3600_000 }));
    expect(text(child(ok, 'GetDeviceInformationResponse', 'Manufacturer'))).toBe('Double & Co');
    const err = await apiError(soapCall(deviceUrl(responder.port), infoAction, info, target(responder.port, { credentials, clockOffsetMs: 0 })));
    expect(err).toMatchObject({ status: 422, code: 'onvif_unauthorized', field: 'password', message: 'the camera refused the user name or password' });
    expect(responder.requests.map((r) => r.token?.valid)).toEqual([true, false]);
  });

  it('a wrong password is 422 onvif_unauthorized, and the password appears in no error', async () => {
    responder = await startOnvifResponder({ credentials: { username: 'admin', password: 'right' } });
    const err = await apiError(soapCall(deviceUrl(responder.port), infoAction, info, target(responder.port, { credentials: { username: 'admin', password: 'wrong-secret' } })));
    expect(err.code).toBe('onvif_unauthorized');
    expect(JSON.stringify(err.toJSON())).not.toContain('wrong-secret');
  });

  it('a web page is 422 onvif_not_a_device naming the host', async () => {
    responder = await startOnvifResponder({ mode: 'html' });
    const err = await apiError(soapCall(deviceUrl(responder.port), infoAction, info, target(responder.port)));
    expect(err).toMatchObject({ status: 422, code: 'onvif_not_a_device', field: 'host' });
    expect(err.message).toContain(`127.0.0.1:${responder.port}`);
  });

  it('HTTP 401 is onvif_unauthorized', async () => {
    const server = createServer((_req, res) => res.writeHead(401, { 'www-authenticate': 'Digest realm="cam"' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect((await apiError(soapCall(deviceUrl(port), infoAction, info, target(port)))).code).toBe('onvif_unauthorized');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('other faults are 502 onvif_fault with the operation named', async () => {
    responder = await startOnvifResponder({ capabilities: false });
    const err = await apiError(soapCall(deviceUrl(responder.port), `${NS.device}/GetCapabilities`, { 'tds:GetCapabilities': '' }, target(responder.port)));
    expect(err).toMatchObject({ status: 502, code: 'onvif_fault' });
    expect(err.message).toContain('GetCapabilities');
  });

  it('silence is 504 onvif_no_answer after the injected timeout', async () => {
    responder = await startOnvifResponder({ mode: 'silent' });
    const err = await apiError(soapCall(deviceUrl(responder.port), infoAction, info, target(responder.port, { timeoutMs: 150 })));
    expect(err).toMatchObject({ status: 504, code: 'onvif_no_answer', field: 'host', message: `no answer from 127.0.0.1:${responder.port} within 0.15 s` });
  });

  it('a refused connection is 504 onvif_no_answer', async () => {
    const port = await freePort();
    expect((await apiError(soapCall(deviceUrl(port), infoAction, info, target(port)))).code).toBe('onvif_no_answer');
  });
});
