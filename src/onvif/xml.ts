import XMLBuilder from 'fast-xml-builder';
import { XMLParser } from 'fast-xml-parser';

/**
 * XML for ONVIF, on fast-xml-parser (and its builder, fast-xml-builder): documents are built from objects (the builder escapes every
 * text and attribute value) and parsed into objects; nothing here reads XML as text. Vendors pick
 * their own namespace prefixes (`tds:`, `ns2:`, none), so parsed names are local names only.
 */

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  device: 'http://www.onvif.org/ver10/device/wsdl',
  media: 'http://www.onvif.org/ver10/media/wsdl',
  schema: 'http://www.onvif.org/ver10/schema',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  discovery: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  network: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

/** A document as the builder takes it: element names (with prefixes) to children, `@_name` to attributes, `#text` to text. */
export interface XmlElement {
  [name: string]: string | XmlElement | XmlElement[];
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, processEntities: true });
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // Tokens, serial numbers and versions stay text ("0012" is not 12).
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

export const buildXml = (doc: XmlElement): string => `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}`;

/** The parsed document, or null when the text is not XML the parser accepts. */
export function parseXml(text: string): unknown {
  try {
    return parser.parse(text) as unknown;
  } catch {
    return null;
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Every child element named `name` (local name) of `node`. */
export function children(node: unknown, name: string): unknown[] {
  if (!isRecord(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first child element named `name`, following a path of local names. */
export const child = (node: unknown, ...path: string[]): unknown => path.reduce<unknown>((n, name) => children(n, name)[0], node);

/** An element's text (null when absent or empty). */
export function text(node: unknown): string | null {
  const value = typeof node === 'string' ? node : isRecord(node) && typeof node['#text'] === 'string' ? node['#text'] : null;
  return value === null || value === '' ? null : value;
}

/** An attribute of an element (local name). */
export const attribute = (node: unknown, name: string): string | null => (isRecord(node) && typeof node[`@_${name}`] === 'string' ? (node[`@_${name}`] as string) : null);

/** The SOAP Body of a parsed envelope, or null when the document is no SOAP envelope. */
export const soapBody = (doc: unknown): unknown => {
  const body = child(doc, 'Envelope', 'Body');
  return body === undefined ? null : (body ?? {});
};

/** The local part of a QName written as element text (`ter:NotAuthorized` → `NotAuthorized`). */
export const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);
