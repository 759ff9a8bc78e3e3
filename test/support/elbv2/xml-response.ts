/** The XML that ELBv2 (AWS Query protocol, API version 2015-12-01) answers with. */

export const XMLNS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

/** A value or a nested element list; undefined values are left out. */
export type XmlValue = string | number | boolean | undefined | XmlNode[];

/** One element: `<name>value</name>`. */
export interface XmlNode {
  readonly name: string;
  readonly value: XmlValue;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function el(name: string, value: XmlValue): XmlNode {
  return { name, value };
}

/** A list in Query shape: `<name><member>…</member>…</name>`. */
export function members(name: string, items: readonly XmlNode[][]): XmlNode {
  return el(
    name,
    items.map((children) => el('member', children)),
  );
}

/** A list of plain strings in Query shape. */
export function stringMembers(name: string, items: readonly string[]): XmlNode {
  return el(
    name,
    items.map((item) => el('member', item)),
  );
}

export function render(nodes: readonly XmlNode[]): string {
  return nodes
    .map(({ name, value }) => {
      if (value === undefined) return '';
      const inner = Array.isArray(value) ? render(value) : escapeXml(String(value));
      return `<${name}>${inner}</${name}>`;
    })
    .join('');
}

export function resultXml(action: string, result: readonly XmlNode[], requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${XMLNS}">` +
    `<${action}Result>${render(result)}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

export function errorXml(type: string, code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${XMLNS}">` +
    render([el('Error', [el('Type', type), el('Code', code), el('Message', message)])]) +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`
  );
}
