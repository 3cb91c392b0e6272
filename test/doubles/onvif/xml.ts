/** The responder's XML: fast-xml-parser, local names only (prefixes removed), values kept as text. */
import XMLBuilder from 'fast-xml-builder';
import { XMLParser } from 'fast-xml-parser';

export const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false });
export const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

/** An element's text, whether it carries attributes or not. */
export const textOf = (x: any): string | undefined => (typeof x === 'string' ? x : typeof x?.['#text'] === 'string' ? x['#text'] : undefined);
