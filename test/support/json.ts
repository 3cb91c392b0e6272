/** The JSON a body holds, or null when it is empty or not JSON (a refusal may be plain text). */
export function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
