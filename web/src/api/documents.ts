import { api } from './client.js';

const itemPath = (collection: string, id: string) => `${collection}/${encodeURIComponent(id)}`;

/** Adding POSTs to the collection; editing PUTs the whole document on the edited item's id. */
export function saveDocument<T>(collection: string, editing: string | null, body: unknown, call: typeof api): Promise<T> {
  return editing === null ? call<T>(collection, { method: 'POST', body }) : call<T>(itemPath(collection, editing), { method: 'PUT', body });
}

export async function deleteDocument(collection: string, id: string, call: typeof api): Promise<void> {
  await call<null>(itemPath(collection, id), { method: 'DELETE' });
}
