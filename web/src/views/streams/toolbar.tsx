import { useT } from '../../i18n/use-t.js';
import type { EngineState } from '../../stores/engine.js';
import { GRID_MODES, type GridMode } from '../../stores/grid.js';

export interface ToolbarProps {
  mode: GridMode;
  onMode: (mode: GridMode) => void;
  /** Zero-based page on screen and the number of pages. */
  page: number;
  pageCount: number;
  onStep: (delta: number) => void;
  status: EngineState;
}

// Material Design Icons "chevron-left" and "chevron-right".
const PREV_ICON = 'M15.41,16.58L10.83,12L15.41,7.41L14,6L8,12L14,18L15.41,16.58Z';
const NEXT_ICON = 'M8.59,16.58L13.17,12L8.59,7.41L10,6L16,12L10,18L8.59,16.58Z';

export function Toolbar({ mode, onMode, page, pageCount, onStep, status }: ToolbarProps) {
  const t = useT();
  const engineState = status.engine?.state ?? 'unknown';
  const mseState = status.mse?.state ?? 'unknown';
  return (
    <div class="streams-toolbar">
      <div class="streams-modes" role="group" aria-label={t('streams.mode.label')}>
        {GRID_MODES.map((m) => (
          <button key={m} type="button" data-testid={`grid-mode-${m}`} aria-pressed={m === mode} title={t(`streams.mode.${m}.title`)} onClick={() => onMode(m)}>
            {t(`streams.mode.${m}`)}
          </button>
        ))}
      </div>
      <div class="streams-status">
        <span class={`streams-chip streams-chip--${engineState}`}>{t('streams.status.engine', { state: t(`streams.state.${engineState}`) })}</span>
        <span class={`streams-chip streams-chip--${mseState}`}>{t('streams.status.mse', { state: t(`streams.state.${mseState}`) })}</span>
      </div>
      <div class="streams-pager">
        <button type="button" class="icon-button" data-testid="page-prev" aria-label={t('streams.page.prev')} title={t('streams.page.prev')} disabled={page <= 0} onClick={() => onStep(-1)}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d={PREV_ICON} />
          </svg>
        </button>
        <span class="streams-page" aria-live="polite">
          {t('streams.page.of', { page: page + 1, count: pageCount })}
        </span>
        <button type="button" class="icon-button" data-testid="page-next" aria-label={t('streams.page.next')} title={t('streams.page.next')} disabled={page >= pageCount - 1} onClick={() => onStep(1)}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d={NEXT_ICON} />
          </svg>
        </button>
      </div>
    </div>
  );
}
