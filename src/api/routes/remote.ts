import { Hono } from 'hono';
import type { PeerLinks } from '../../playback/remote/peer-links.js';

/** The API calls of a transmission that its host answers as they are: demand, WebRTC offers, the HLS probe, the still image. */
const FORWARDED = /^(demand|demand\/heartbeat|demand\/prime|webrtc\/offer|hls\/probe|still\.jpg)$/;

/** Of the host's answer, what the browser may see. */
const ANSWER_HEADERS = ['content-type', 'cache-control', 'location', 'x-still-source', 'x-still-reason', 'x-still-cache', 'x-frame-age-ms'];

/**
 * For a transmission a peer hosts, mounted under /api/streams before the local routes: those calls go
 * to the host with this server's peer credentials (the browser's own headers and any media token stay
 * here), and the host's answer comes back as it is. Demand forwarded this way is what makes the host
 * encode only while someone watches here.
 */
export function remoteRoutes(links: Pick<PeerLinks, 'isRemote' | 'toHost'>) {
  return new Hono().use('/transmissions/:id/*', async (c, next) => {
    const id = c.req.param('id');
    const prefix = `/transmissions/${id}/`;
    const rest = c.req.path.slice(c.req.path.indexOf(prefix) + prefix.length);
    if ((c.req.method !== 'GET' && c.req.method !== 'POST') || !FORWARDED.test(rest) || !links.isRemote(id)) return next();
    const query = new URL(c.req.url).searchParams;
    query.delete('media_token');
    const search = query.size > 0 ? `?${query.toString()}` : '';
    const type = c.req.header('content-type');
    const res = await links.toHost(id, `/api/streams/transmissions/${encodeURIComponent(id)}/${rest}${search}`, {
      method: c.req.method,
      headers: { accept: c.req.header('accept') ?? '*/*', ...(type ? { 'content-type': type } : {}) },
      body: c.req.method === 'POST' ? await c.req.arrayBuffer() : null,
      signal: c.req.raw.signal,
    });
    const headers = new Headers();
    for (const name of ANSWER_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(res.body, { status: res.status, headers });
  });
}
