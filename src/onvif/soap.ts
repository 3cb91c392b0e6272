import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../shared/errors.js';
import { NS, buildXml, child, children, localName, parseXml, soapBody, text, type XmlElement } from './xml.js';

/**
 * A small SOAP 1.2 client for the ONVIF device and media services. Not the `onvif` npm package:
 * its WS-Discovery hard-codes the multicast address (so it cannot be tested on loopback) and its
 * connect() runs many calls this import does not need.
 */

export interface Credentials {
  username: string;
  password: string;
}

/** Where a camera is reached and how: `endpoint` is `host:port` as the user gave it (errors name it, never a credential). */
export interface SoapTarget {
  endpoint: string;
  credentials: Credentials | null;
  /** The camera's clock minus ours (ms), from GetSystemDateAndTime: the token's `Created` is in the camera's time. */
  clockOffsetMs: number;
  timeoutMs: number;
  now?: () => number;
}

const PASSWORD_DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_BINARY = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';
/** Faults (local names of Code/Subcode values) that mean the camera refused who we said we are. */
const AUTH_FAULTS = new Set(['NotAuthorized', 'FailedAuthentication', 'InvalidSecurity', 'InvalidSecurityToken']);
/** More than any SOAP answer of these services; a peer that sends more is no camera. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** ISO 8601 UTC without milliseconds: some cameras refuse a `Created` with a fraction. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** WS-Security UsernameToken with PasswordDigest = Base64(SHA1(nonce + created + password)). */
export function usernameToken(credentials: Credentials, createdMs: number, nonce = randomBytes(16)): XmlElement {
  const created = isoSeconds(createdMs);
  const digest = createHash('sha1').update(nonce).update(created, 'utf8').update(credentials.password, 'utf8').digest('base64');
  return {
    'wsse:Security': {
      '@_s:mustUnderstand': '1',
      '@_xmlns:wsse': NS.wsse,
      '@_xmlns:wsu': NS.wsu,
      'wsse:UsernameToken': {
        'wsse:Username': credentials.username,
        'wsse:Password': { '@_Type': PASSWORD_DIGEST, '#text': digest },
        'wsse:Nonce': { '@_EncodingType': BASE64_BINARY, '#text': nonce.toString('base64') },
        'wsu:Created': created,
      },
    },
  };
}

/** A SOAP 1.2 envelope around one request element (prefixes `tds`, `trt`, `tt` declared), with a header when given. */
export function envelope(body: XmlElement, header?: XmlElement): string {
  return buildXml({
    's:Envelope': {
      '@_xmlns:s': NS.soap,
      '@_xmlns:tds': NS.device,
      '@_xmlns:trt': NS.media,
      '@_xmlns:tt': NS.schema,
      ...(header ? { 's:Header': header } : {}),
      's:Body': body,
    },
  });
}

const noAnswer = (target: SoapTarget) => new ApiError(504, 'onvif_no_answer', `no answer from ${target.endpoint} within ${target.timeoutMs / 1000} s`, 'host');
const notADevice = (target: SoapTarget, why: string) => new ApiError(422, 'onvif_not_a_device', `${target.endpoint} is not an ONVIF device: ${why}`, 'host');
const unauthorized = () => new ApiError(422, 'onvif_unauthorized', 'the camera refused the user name or password', 'password');

/** The local names of a fault's codes (SOAP 1.2 Code/Subcode values, SOAP 1.1 faultcode). */
function faultCodes(fault: unknown): string[] {
  const codes: string[] = [];
  for (let code = child(fault, 'Code'); code !== undefined; code = child(code, 'Subcode')) {
    const value = text(child(code, 'Value'));
    if (value) codes.push(localName(value));
  }
  const old = text(child(fault, 'faultcode'));
  if (old) codes.push(localName(old));
  return codes;
}

async function readCapped(res: Response, target: SoapTarget): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Node's fetch body is async-iterable; the DOM types the panel's type-check also reads (through api/contract.ts) say it is not.
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) throw notADevice(target, 'the answer is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One SOAP call: `action` is the operation's namespace + name, `request` its element. Resolves to
 * the answer's Body. Throws ApiError: 504 `onvif_no_answer` (no answer in time, refused, reset),
 * 422 `onvif_unauthorized` (HTTP 401, an authentication fault), 422 `onvif_not_a_device` (an
 * answer that is no SOAP envelope), 502 `onvif_fault` (any other fault).
 */
export async function soapCall(url: string, action: string, request: XmlElement, target: SoapTarget): Promise<unknown> {
  const now = target.now ?? Date.now;
  // Sent whenever credentials are given, even to a camera that would answer without them.
  const header = target.credentials ? usernameToken(target.credentials, now() + target.clockOffsetMs) : undefined;
  let status: number;
  let body: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': `application/soap+xml; charset=utf-8; action="${action}"` },
      body: envelope(request, header),
      signal: AbortSignal.timeout(target.timeoutMs),
      redirect: 'manual',
    });
    status = res.status;
    body = await readCapped(res, target);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw noAnswer(target);
  }
  if (status === 401) throw unauthorized();
  const answer = soapBody(parseXml(body));
  if (answer === null) throw notADevice(target, `HTTP ${status} without a SOAP envelope`);
  const fault = child(answer, 'Fault');
  if (fault !== undefined) {
    const codes = faultCodes(fault);
    if (codes.some((c) => AUTH_FAULTS.has(c))) throw unauthorized();
    const reason = text(children(child(fault, 'Reason'), 'Text')[0]) ?? text(child(fault, 'faultstring')) ?? codes.join('/');
    const operation = action.slice(action.lastIndexOf('/') + 1);
    throw new ApiError(502, 'onvif_fault', `${target.endpoint} answered ${operation} with a fault: ${reason.slice(0, 200)}`, 'host');
  }
  if (status < 200 || status >= 300) throw notADevice(target, `HTTP ${status}`);
  return answer;
}
