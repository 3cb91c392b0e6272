import { useState } from 'preact/hooks';
import type { SourceProbe } from '../../../../src/api/contract.js';
import { useT } from '../../i18n/use-t.js';
import type { SourceForm } from '../../stores/cameras.js';
import { probeFacts, probeSource } from '../../stores/source-probe.js';

/**
 * What the last probe of a saved source found (codecs, size, fps, audio) and a button to probe it
 * again. A new source, or one whose address was edited, is probed by the server once saved.
 */
export function SourceProbeLine({ source }: { source: SourceForm }) {
  const t = useT();
  // Kept here rather than in the form: a probe changes nothing the form saves.
  const [fresh, setFresh] = useState<SourceProbe | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const saved = source.saved;
  const current = saved?.url === source.url.trim();
  const probe = fresh ?? saved?.probe ?? null;

  let text: string;
  let state: string;
  if (!saved) [text, state] = [t('settings.camera.probe.unsaved'), 'unsaved'];
  else if (!current) [text, state] = [t('settings.camera.probe.edited'), 'edited'];
  else if (busy) [text, state] = [t('settings.camera.probe.running'), 'running'];
  else if (!probe) [text, state] = [t('settings.camera.probe.none'), 'none'];
  else if (probe.error !== null) [text, state] = [t('settings.camera.probe.failed', { error: probe.error }), 'error'];
  else [text, state] = [probeFacts(probe, t), 'ok'];

  const run = async () => {
    if (!saved) return;
    setBusy(true);
    setFailure(null);
    try {
      setFresh((await probeSource(saved.cameraId, source.id)).probe);
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="settings-actions" data-testid="source-probe" data-state={state}>
      <span class="settings-field-label">{t('settings.camera.probe.label')}</span>
      <span class={state === 'ok' ? undefined : 'settings-hint'} data-testid="source-probe-facts">
        {text}
      </span>
      {saved && (
        <button type="button" disabled={!current || busy} data-testid="source-probe-run" onClick={() => void run()}>
          {t('settings.camera.probe.button')}
        </button>
      )}
      {failure !== null && (
        <span class="settings-field-error" role="alert" data-testid="source-probe-failure">
          {failure}
        </span>
      )}
    </div>
  );
}
