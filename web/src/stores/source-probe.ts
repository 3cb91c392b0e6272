import type { SourceProbe, SourceProbeAnswer } from '../../../src/api/contract.js';
import { api } from '../api/client.js';
import type { T } from '../i18n/use-t.js';

/** Codec names as people read them on camera boxes; an unknown one as ffprobe names it, upper-cased. */
const CODEC_NAMES: Readonly<Record<string, string>> = { h264: 'H.264', h265: 'H.265', mjpeg: 'MJPEG', aac: 'AAC', opus: 'Opus', pcm_mulaw: 'G.711 µ-law', pcm_alaw: 'G.711 A-law' };
const codecName = (codec: string) => CODEC_NAMES[codec] ?? codec.toUpperCase();

/** What a probe found, on one line: "H.265 · 1920×1080 · 15 fps · Opus 48 kHz" (a figure it could not read is left out). */
export function probeFacts(probe: SourceProbe, t: T): string {
  const parts: string[] = [];
  const video = probe.video;
  if (video) {
    parts.push(codecName(video.codec));
    if (video.width !== null && video.height !== null) parts.push(`${video.width}×${video.height}`);
    if (video.fps !== null) parts.push(t('settings.camera.probe.fps', { fps: video.fps }));
  }
  const audio = probe.audio;
  if (!audio) parts.push(t('settings.camera.probe.noAudio'));
  else parts.push(audio.sample_rate === null ? codecName(audio.codec) : t('settings.camera.probe.audio', { codec: codecName(audio.codec), khz: audio.sample_rate / 1000 }));
  return parts.join(' · ');
}

/** Runs one probe of a saved source; the answer is what the server stored. */
export function probeSource(cameraId: string, sourceId: string, call: typeof api = api): Promise<SourceProbeAnswer> {
  return call<SourceProbeAnswer>(`api/cameras/${encodeURIComponent(cameraId)}/sources/${encodeURIComponent(sourceId)}/probe`, { method: 'POST' });
}
