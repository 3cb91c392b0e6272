/**
 * The tile's sound switch, drawn only while the transport on screen carries audio: tiles start muted
 * (browsers autoplay only muted video), and a click is the gesture that lets sound play.
 * DOM hook: `button[data-sound="on"|"off"]`.
 */
import './sound-toggle.css';
import { useT } from '../i18n/use-t.js';

export function SoundToggle({ on, onToggle }: { on: boolean; onToggle: () => void }) {
  const t = useT();
  return (
    <button
      type="button"
      class="player-sound"
      data-sound={on ? 'on' : 'off'}
      aria-pressed={on}
      aria-label={t(on ? 'player.sound.on' : 'player.sound.off')}
      title={t(on ? 'player.sound.on' : 'player.sound.off')}
      onClick={onToggle}
    >
      <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path d="M4 9h4l5-4v14l-5-4H4z" fill="currentColor" />
        {on ? <path d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="currentColor" stroke-width="2" /> : <path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" stroke-width="2" />}
      </svg>
    </button>
  );
}
