import type { HaCamera, HaCameraList } from '../api/contract.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { notFound } from '../shared/errors.js';
import { isLoopbackPeer, relayPath, type PeerLinks } from '../playback/remote/peer-links.js';
import type { MediaTokens } from '../playback/tokens.js';
import { lanRtspUrl, readerProblem } from '../playback/urls.js';
import type { SettingsStore } from '../store/settings-store.js';
import type { SupervisorClient } from './supervisor-client.js';

export interface HaCamerasOptions {
  store: SettingsStore;
  tokens: MediaTokens;
  supervisor: Pick<SupervisorClient, 'addonHost'>;
  /** The engine's RTSP port as Home Assistant Core reaches it (the container port). */
  rtspPort: () => number;
  /** The direct port serving still images; null leaves cameras without one. */
  directPort: number | null;
  /** Where a transmission a peer hosts is read: the host's RTSP address, or a relay here when the host is on loopback. */
  remote?: Pick<PeerLinks, 'hostOf' | 'resolve'>;
  /**
   * Lifetime of the still image token handed to Home Assistant, which keeps the URL in its config
   * entry for good. Default 10 years; rotating the media token key revokes every one at once.
   */
  stillTokenTtlMs?: number;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
const entryRemovalPath = (entryId: string) => `/api/streams/home-assistant/cameras/entries/${encodeURIComponent(entryId)}`;

/** Every published variant marked `show_in_home_assistant`, as what a Home Assistant camera entity needs. */
export function createHaCameras({ store, tokens, supervisor, rtspPort, directPort, remote, stillTokenTtlMs = TEN_YEARS_MS }: HaCamerasOptions) {
  if (!(stillTokenTtlMs >= 60_000)) throw new Error('Home Assistant cameras: stillTokenTtlMs must be at least a minute');

  async function list(): Promise<HaCameraList> {
    const doc = store.get();
    const { host, source } = await supervisor.addonHost();
    const { lan_reader: reader, server_id: here } = doc.streaming;
    const port = rtspPort();
    const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const entries = doc.home_assistant.entries;
    const cameras: HaCamera[] = [];
    const elsewhere: string[] = [];
    const unreachable: string[] = [];

    /**
     * The RTSP address Home Assistant reads an output at: this server's engine for its own; for one a peer
     * hosts, the host's (the host's reader in it) when Home Assistant can reach the host, else this
     * server's relay of it; null when the host cannot say.
     */
    async function streamOf(tx: Transmission, output: Output): Promise<{ url: string | null; via: HaCamera['stream_via'] } | null> {
      if (tx.host_server_id === here) return { url: lanRtspUrl(host, port, output.engine_path, reader), via: 'local' };
      const peer = remote?.hostOf(tx.id)?.peer;
      if (!remote || !peer) return null;
      try {
        const r = await remote.resolve(tx.id);
        const hostUrl = r.outputs.find((o) => o.output_id === output.id)?.rtsp ?? null;
        if (hostUrl === null) return { url: null, via: 'host' };
        return isLoopbackPeer(peer) ? { url: lanRtspUrl(host, port, relayPath(peer.id, output.engine_path), reader), via: 'relay' } : { url: hostUrl, via: 'host' };
      } catch {
        return { url: null, via: 'host' };
      }
    }

    for (const view of doc.live_views) {
      const shown = view.variants.filter((v) => v.show_in_home_assistant);
      for (const variant of shown) {
        const tx = doc.transmissions.find((t) => t.id === variant.transmission_id);
        const output = tx?.outputs.find((o) => o.id === variant.output_id);
        if (!tx || !output || !tx.enabled || !output.enabled) continue;
        const stream = await streamOf(tx, output);
        // Hosted by a server that is no peer of this one: nothing here can read it.
        if (stream === null) {
          elsewhere.push(variant.publication_id);
          continue;
        }
        if (stream.url === null) {
          // The reader's password cannot be written into a URL (said in the warnings), or the host did not answer.
          if (stream.via !== 'local') unreachable.push(variant.publication_id);
          continue;
        }
        const token = tokens.issue({ transmission_id: tx.id, output_id: output.id, path: output.engine_path, transport: 'still' }, stillTokenTtlMs);
        cameras.push({
          unique_id: `toposync_streaming:${here}:${variant.publication_id}`,
          publication_id: variant.publication_id,
          live_view_id: view.id,
          camera_id: view.camera_id,
          name: shown.length > 1 ? `${view.name} (${variant.label || variant.role})` : view.name,
          role: variant.role,
          label: variant.label,
          transmission_id: tx.id,
          output_id: output.id,
          engine_path: output.engine_path,
          stream_source: stream.url,
          stream_via: stream.via,
          still_image_url: directPort === null ? null : `http://${hostPart}:${directPort}/api/streams/transmissions/${encodeURIComponent(tx.id)}/still.jpg?media_token=${encodeURIComponent(token)}`,
          entry: entries.find((e) => e.publication_id === variant.publication_id) ?? null,
        });
      }
    }
    const listed = new Set(cameras.map((c) => c.publication_id));
    const warnings: string[] = [];
    if (reader.password === null) warnings.push('rtsp_reader_password is empty: Home Assistant cannot read the RTSP streams; set it in the add-on configuration');
    const unusableReader = readerProblem(reader);
    if (unusableReader) warnings.push(unusableReader);
    if (directPort === null) warnings.push('no direct port (TOPOSYNC_STREAMING_DIRECT_PORT): Home Assistant gets no still images');
    if (elsewhere.length > 0) warnings.push(`hosted by a server that is not an enabled peer of this one: ${elsewhere.join(', ')}`);
    if (unreachable.length > 0) warnings.push(`host_unreachable: the server hosting these did not give their RTSP address; they are listed again once it answers: ${unreachable.join(', ')}`);
    return {
      addon_host: host,
      addon_host_source: source,
      rtsp_port: port,
      direct_port: directPort,
      reader: { username: reader.username, has_password: reader.password !== null },
      cameras,
      orphaned_entries: entries.filter((e) => !listed.has(e.publication_id)).map((e) => ({ ...e, remove_url: entryRemovalPath(e.entry_id) })),
      warnings,
    };
  }

  return {
    list,
    /** One camera of the list; 404 when the publication is not published or not shown in Home Assistant. */
    async camera(publicationId: string): Promise<{ camera: HaCamera; list: HaCameraList }> {
      const all = await list();
      const camera = all.cameras.find((c) => c.publication_id === publicationId);
      if (!camera) throw notFound('Home Assistant camera (a published variant shown in Home Assistant)', publicationId);
      return { camera, list: all };
    },
  };
}
export type HaCameras = ReturnType<typeof createHaCameras>;
