import { useT } from '../../i18n/use-t.js';
import type { EngineSummary } from '../../stores/engine.js';

/**
 * The engine is missing: video still plays through the JSMpeg fallback, so this is a note above
 * the grid (role=status), not an error in place of it. It says how to get the engine in both
 * places the server runs, offering the download only where Settings allows it.
 */
export function EngineMissingBanner({ engine }: { engine: EngineSummary }) {
  const t = useT();
  return (
    <div class="streams-banner" role="status" data-testid="engine-missing">
      <strong>{t('streams.engineMissing.title')}</strong>
      <p>{t('streams.engineMissing.body')}</p>
      <ul>
        <li>{t('streams.engineMissing.addon')}</li>
        <li>{t(engine.download.allowed ? 'streams.engineMissing.outside' : 'streams.engineMissing.outsideNoDownload')}</li>
      </ul>
      {engine.binary.reason && <p class="streams-banner-reason">{t('streams.engineMissing.reason', { reason: engine.binary.reason })}</p>}
      <a href="#/settings">{t('streams.openSettings')}</a>
    </div>
  );
}
