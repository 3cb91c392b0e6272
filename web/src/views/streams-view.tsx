import { useEffect } from 'preact/hooks';
import { useT } from '../i18n/use-t.js';
import { engineMissing, engineStore, refreshEngine } from '../stores/engine.js';
import { clampPage, gridStore, pageCount, pageSlice, perPage, withChoice, withMode, withPageStep } from '../stores/grid.js';
import { liveViewsStore, refreshLiveViews } from '../stores/live-views.js';
import { useStore } from '../stores/use-store.js';
import { EngineMissingBanner } from './streams/engine-banner.js';
import { startPolling } from './streams/polling.js';
import './streams/streams.css';
import { Tile } from './streams/tile.js';
import { Toolbar } from './streams/toolbar.js';
import { useDocumentVisible } from './streams/use-document-visible.js';

/** Cameras added in Settings and engine state changes show up within this, while the view is open. */
const POLL_MS = 10_000;

/** Rendering -> Streams: the live views in a paged 1x1 or 2x2 grid. */
export function StreamsView() {
  const t = useT();
  const { views, error } = useStore(liveViewsStore);
  const status = useStore(engineStore);
  const grid = useStore(gridStore);
  const documentVisible = useDocumentVisible();

  useEffect(() => startPolling((signal) => Promise.all([refreshLiveViews(liveViewsStore, signal), refreshEngine(engineStore, signal)]).then(() => undefined), POLL_MS), []);

  const total = views?.length ?? 0;
  const per = perPage(grid.mode);
  const count = pageCount(total, per);
  const page = clampPage(grid.page, count);

  return (
    <section class="streams">
      {status.engine && engineMissing(status) && <EngineMissingBanner engine={status.engine} />}
      {error !== null && (
        <p class="streams-error" role="alert">
          {t('streams.loadFailed', { message: error })}
        </p>
      )}
      {views === null ? (
        error === null && <p class="streams-loading">{t('common.loading')}</p>
      ) : views.length === 0 ? (
        <div class="streams-empty" data-testid="streams-empty">
          <strong>{t('streams.empty.title')}</strong>
          <p>{t('streams.empty.body')}</p>
          <a href="#/settings">{t('streams.openSettings')}</a>
        </div>
      ) : (
        <>
          <Toolbar
            mode={grid.mode}
            onMode={(mode) => gridStore.set((s) => withMode(s, mode, total))}
            page={page}
            pageCount={count}
            onStep={(delta) => gridStore.set((s) => withPageStep(s, delta, total))}
            status={status}
          />
          <div class="streams-stage">
            <div class={`streams-grid streams-grid--${grid.mode}`} data-testid="grid" data-mode={grid.mode}>
              {/* Only this page's tiles exist: the others are unmounted, so their players stop and stop heartbeating. */}
              {pageSlice(views, page, per).map((view) => (
                <Tile
                  key={view.id}
                  view={view}
                  context={grid.mode === '1x1' ? 'large' : 'grid'}
                  choice={grid.choices[view.id]}
                  onChoose={(publicationId) => gridStore.set((s) => withChoice(s, view.id, publicationId))}
                  documentVisible={documentVisible}
                />
              ))}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
