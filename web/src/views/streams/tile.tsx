import { useEffect, useRef, useState } from 'preact/hooks';
import { useT, type T } from '../../i18n/use-t.js';
import { Player } from '../../player/player.js';
import type { LiveView, LiveViewVariant, PlayContext } from '../../../../src/api/contract.js';
import { fullscreenElement, fullscreenSupported, onFullscreenChange, toggleFullscreen } from './fullscreen.js';
import { useOverlay } from './use-overlay.js';
import { defaultVariant, resolveVariant } from './variant.js';

export interface TileProps {
  view: LiveView;
  /** The context of the tile in the grid (`grid` in 2x2, `large` when it fills the page in 1x1); full screen overrides it. */
  context: PlayContext;
  /** The user's pick for this live view (a publication id), if any. */
  choice: string | undefined;
  /** `null` goes back to the automatic pick. */
  onChoose: (publicationId: string | null) => void;
  /** The player also stops by itself when scrolled out of view; this is the tab's visibility. */
  documentVisible: boolean;
}

/** The publication label the user gave the source; the role's name when it has none. */
const variantLabel = (v: LiveViewVariant, t: T): string => v.label || t(`streams.role.${v.role}`);

export function Tile({ view, context: gridContext, choice, onChoose, documentVisible }: TileProps) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  const [overlay, dispatch] = useOverlay();
  const [fullscreen, setFullscreen] = useState(false);
  // Transport warnings and blocked reasons: on request, never in place of the picture's own message.
  const [diagnostics, setDiagnostics] = useState(false);
  // Live figures over the picture: off by default, per tile.
  const [stats, setStats] = useState(false);
  useEffect(() => onFullscreenChange(() => setFullscreen(fullscreenElement() === ref.current)), []);

  const context: PlayContext = fullscreen ? 'fullscreen' : gridContext;
  const variant = resolveVariant(view.variants, context, choice);
  const automatic = defaultVariant(view.variants, context);
  if (!variant || !automatic) return null;
  const chosen = variant.publication_id === choice;

  return (
    <div
      ref={ref}
      class={`tile${overlay.visible ? '' : ' tile--idle'}`}
      data-testid="tile"
      data-camera={view.camera_id ?? view.id}
      data-transmission={variant.transmission_id}
      data-context={context}
      onPointerMove={() => dispatch({ type: 'activity' })}
      onPointerDown={() => dispatch({ type: 'activity' })}
      onFocusIn={() => dispatch({ type: 'activity' })}
    >
      <div class="tile-player">
        <Player transmissionId={variant.transmission_id} context={context} active={documentVisible} showDiagnostics={diagnostics} showStats={stats} />
      </div>
      <div
        class={`tile-overlay${overlay.visible ? '' : ' tile-overlay--hidden'}`}
        // Only a mouse hovers: a touch's enter/leave pair around every tap would pin nothing useful.
        onPointerEnter={(e) => e.pointerType === 'mouse' && dispatch({ type: 'pin', pin: 'hover', on: true })}
        onPointerLeave={(e) => e.pointerType === 'mouse' && dispatch({ type: 'pin', pin: 'hover', on: false })}
      >
        <span class="tile-name" title={view.name}>
          {view.name}
        </span>
        <select
          class="tile-variant"
          data-testid="variant-select"
          aria-label={t('streams.variant.label', { camera: view.name })}
          value={chosen ? variant.publication_id : ''}
          disabled={view.variants.length < 2}
          onFocus={() => dispatch({ type: 'pin', pin: 'select', on: true })}
          onBlur={() => dispatch({ type: 'pin', pin: 'select', on: false })}
          onChange={(e) => {
            const value = e.currentTarget.value;
            onChoose(value === '' ? null : value);
            // A picked option closes the list; letting go of focus lets the overlay fade again.
            e.currentTarget.blur();
          }}
        >
          <option value="">{t('streams.variant.auto', { label: variantLabel(automatic, t) })}</option>
          {view.variants.map((v) => (
            <option key={v.publication_id} value={v.publication_id}>
              {variantLabel(v, t)}
            </option>
          ))}
        </select>
        <button
          type="button"
          class={`tile-button${stats ? ' tile-button--on' : ''}`}
          data-testid="stats-toggle"
          aria-pressed={stats}
          aria-label={t('streams.stats')}
          title={t('streams.stats')}
          onClick={() => setStats((on) => !on)}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d={STATS_ICON} />
          </svg>
        </button>
        <button
          type="button"
          class={`tile-button${diagnostics ? ' tile-button--on' : ''}`}
          data-testid="diagnostics-toggle"
          aria-pressed={diagnostics}
          aria-label={t('streams.diagnostics')}
          title={t('streams.diagnostics')}
          onClick={() => setDiagnostics((on) => !on)}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d={INFO_ICON} />
          </svg>
        </button>
        {fullscreenSupported() && (
          <button
            type="button"
            class="tile-button"
            data-testid="fullscreen"
            aria-label={t(fullscreen ? 'streams.fullscreen.exit' : 'streams.fullscreen.enter')}
            title={t(fullscreen ? 'streams.fullscreen.exit' : 'streams.fullscreen.enter')}
            onClick={() => {
              if (ref.current) void toggleFullscreen(ref.current);
            }}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path d={fullscreen ? EXIT_ICON : ENTER_ICON} />
            </svg>
          </button>
        )}
      </div>
    </div>
  );
}

// Material Design Icons "fullscreen" and "fullscreen-exit", the icons Home Assistant uses.
const ENTER_ICON = 'M5,5H10V7H7V10H5V5M14,5H19V10H17V7H14V5M17,14H19V19H14V17H17V14M10,17V19H5V14H7V17H10Z';
// Material Design Icons "information-outline".
const INFO_ICON =
  'M11,9H13V7H11M12,20C7.59,20 4,16.41 4,12C4,7.59 7.59,4 12,4C16.41,4 20,7.59 20,12C20,16.41 16.41,20 12,20M12,2A10,10 0 0,0 2,12A10,10 0 0,0 12,22A10,10 0 0,0 22,12A10,10 0 0,0 12,2M11,17H13V11H11V17Z';
// Material Design Icons "poll".
const STATS_ICON = 'M3,22V8H7V22H3M10,22V2H14V22H10M17,22V14H21V22H17Z';
const EXIT_ICON = 'M14,14H19V16H16V19H14V14M5,14H10V19H8V16H5V14M8,5H10V10H5V8H8V5M19,8V10H14V5H16V8H19Z';
