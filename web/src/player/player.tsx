/**
 * The Player: a still image at once, then the plan's best transport, falling back and climbing back
 * on its own (see machine.ts), only while it can be seen.
 *
 * DOM hooks for browser tests (stable):
 * - root `[data-player]` with `data-transmission-id`, `data-context`,
 *   `data-state` = idle | loading | still | playing | error,
 *   `data-transport` = the transport on screen (mse | hls | jsmpeg | webrtc, empty when none),
 *   `data-error` = a PlayerError (empty when none), `data-blocked-reason` (with nothing_available),
 *   `data-trying` / `data-probing` = the transport starting in the foreground / in the background,
 *   `data-hls-engine` = hlsjs | native while HLS is on screen, `data-ttff-ms` = its time to first frame;
 * - `video[data-slot="a"|"b"]` with `data-visible="true"` on the one shown and `data-transport` of what runs in it;
 * - `img[data-still]` (the still image), `[data-overlay="error"]` (the error message, `role=alert`),
 *   `[data-overlay="notice"]` (connecting / reconnecting), `button[data-sound]` (with audio on screen, see sound-toggle.tsx), `[data-diagnostics]` (below the picture),
 *   `[data-stats]` (the stats overlay, see stats-overlay.tsx).
 *
 * Forcing (tests, diagnostics), read once from the page address: `?transport=mse|hls|jsmpeg|webrtc`
 * plays only that transport; `?hls=hlsjs|native` picks the HLS engine.
 */
import './player.css';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { base, httpUrl } from '../base.js';
import { useT } from '../i18n/use-t.js';
import { startController, type Controller, type Snapshot } from './controller.js';
import { Diagnostics } from './diagnostics.js';
import { StatsOverlay } from './stats-overlay.js';
import { planClient, readForcing, type Forcing } from './plan.js';
import { dataState } from './data-state.js';
import { SoundToggle } from './sound-toggle.js';
import { blockedText } from './texts.js';
import type { PlayerProps } from './types.js';

/** While nothing plays, the still image is fetched again this often. */
const STILL_REFRESH_MS = 10_000;

let forcingOnce: Forcing | null = null;
const forcing = (): Forcing => (forcingOnce ??= readForcing(location.search));

/** In the viewport and in a visible tab: an off-screen or background tile neither plays nor makes demand. */
function useSeen(ref: RefObject<HTMLElement | null>): boolean {
  const [intersecting, setIntersecting] = useState(false);
  const [pageVisible, setPageVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => setIntersecting(entries.some((e) => e.isIntersecting)));
    io.observe(el);
    return () => io.disconnect();
  }, [ref]);
  useEffect(() => {
    const onChange = () => setPageVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return intersecting && pageVisible;
}

const stillUrl = (transmissionId: string) =>
  // The server answers no-store; a new query makes the <img> actually ask again.
  httpUrl(base(), `api/streams/transmissions/${encodeURIComponent(transmissionId)}/still.jpg?t=${Date.now()}`);

export function Player({ transmissionId, context, active = true, showDiagnostics = false, showStats = false }: PlayerProps) {
  const t = useT();
  const root = useRef<HTMLDivElement>(null);
  const videoA = useRef<HTMLVideoElement>(null);
  const videoB = useRef<HTMLVideoElement>(null);
  const running = useSeen(root) && active;
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const controller = useRef<Controller | null>(null);
  const readStats = useCallback(() => controller.current?.stats() ?? null, []);
  const [still, setStill] = useState<string | null>(null);
  const [stillShown, setStillShown] = useState(false);
  const [sound, setSound] = useState(false);

  useEffect(() => {
    const a = videoA.current;
    const b = videoB.current;
    if (!running || !a || !b) return;
    const c = startController({ transmissionId, context, client: planClient(base().path), videos: { a, b }, forcing: forcing(), onChange: setSnap });
    controller.current = c;
    return () => {
      controller.current = null;
      c.stop();
      setSnap(null);
    };
  }, [transmissionId, context, running]);

  const v = snap?.view ?? null;
  const playing = v?.playing ?? null;

  useEffect(() => {
    setStill(null);
    setStillShown(false);
    setSound(false);
  }, [transmissionId]);

  // The still right away, then every STILL_REFRESH_MS while no video covers it.
  const covered = playing !== null;
  useEffect(() => {
    if (!running || covered) return;
    const load = () => setStill(stillUrl(transmissionId));
    load();
    const timer = setInterval(load, STILL_REFRESH_MS);
    return () => clearInterval(timer);
  }, [running, covered, transmissionId]);

  const state = dataState(running, v, stillShown);
  const error = v?.error ?? null;

  const visible = v?.visible ?? 'a';
  // Sound only from the shown slot, and only while what plays there carries audio (the snapshot names it only while it plays).
  const hasAudio = snap?.audio != null;
  const audible = sound && hasAudio;
  const message =
    error === 'nothing_available' ? t('player.error.nothing_available', { reason: v?.blocked ? blockedText(t, v.blocked) : t('player.diag.none') }) : error ? t(`player.error.${error}`) : null;
  const notice = v?.stalled ? t('player.stalled') : v?.trying && !playing ? t('player.connecting') : null;

  return (
    <div
      ref={root}
      class={`player player-${state}`}
      data-player=""
      data-transmission-id={transmissionId}
      data-context={context}
      data-state={state}
      data-transport={playing ?? ''}
      data-error={error ?? ''}
      data-blocked-reason={error === 'nothing_available' ? (v?.blocked ?? '') : ''}
      data-trying={v?.trying ?? ''}
      data-probing={v?.probing ?? ''}
      data-hls-engine={snap?.hlsEngine ?? ''}
      data-ttff-ms={snap?.ttffMs ?? ''}
    >
      <div class="player-stage">
        {still && <img class="player-still" data-still="" src={still} alt={t('player.still_label')} hidden={!stillShown} onLoad={() => setStillShown(true)} onError={() => setStillShown(false)} />}
        {(['a', 'b'] as const).map((slot) => (
          <video
            key={slot}
            ref={slot === 'a' ? videoA : videoB}
            class={`player-video${visible === slot ? ' player-video-visible' : ''}`}
            data-slot={slot}
            data-visible={String(visible === slot)}
            data-transport={snap?.slots[slot] ?? ''}
            aria-label={t('player.video_label')}
            aria-hidden={visible !== slot}
            muted={!(audible && visible === slot)}
            autoplay
            playsInline
            disablePictureInPicture
          />
        ))}
        {hasAudio && <SoundToggle on={audible} onToggle={() => setSound(!audible)} />}
        {error ? (
          <div class="player-message" data-overlay="error" role="alert">
            {message}
          </div>
        ) : (
          notice && (
            <div class="player-notice" data-overlay="notice" role="status">
              {notice}
            </div>
          )
        )}
        {showStats && <StatsOverlay read={readStats} />}
      </div>
      {showDiagnostics && <Diagnostics state={state} snap={snap} forcing={forcing()} />}
    </div>
  );
}
