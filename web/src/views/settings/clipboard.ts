/**
 * Copies text; false when the browser would not. The Clipboard API exists only in secure contexts
 * (Home Assistant is often plain http on the LAN) and an ingress iframe may lack the permission,
 * so the old selection copy is tried next.
 */
export async function copyText(text: string, doc: Document = document): Promise<boolean> {
  try {
    // Undefined outside secure contexts, whatever lib.dom says.
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (window.isSecureContext && clipboard) {
      await clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission in this frame): the selection copy below may still work.
  }
  const area = doc.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  doc.body.append(area);
  area.select();
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only copy there is without the Clipboard API
    return doc.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
