import type { ResolvedUrl, ResolvedUrls } from '../../../../src/api/contract.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { errorMessage } from '../../stores/store.js';
import { resolveUrls } from '../../stores/transmissions.js';
import { copyText } from './clipboard.js';
import { Loading } from './fields.js';
import { Table } from './table.js';

/** How long "Copied" stays on a button. */
const COPIED_MS = 2_000;

/** URL resolution for one transmission: every protocol of every enabled output, each with a copy button. */
export function UrlsPanel({ transmissionId }: { transmissionId: string }) {
  const t = useT();
  const [answer, setAnswer] = useState<ResolvedUrls | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Bumped by "Resolve again": media tokens in the URLs expire, a new resolution signs new ones.
  const [round, setRound] = useState(0);

  useEffect(() => {
    let live = true;
    setError(null);
    resolveUrls(transmissionId).then(
      (a) => live && setAnswer(a),
      (err: unknown) => live && setError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [transmissionId, round]);

  return (
    <div class="settings-urls" data-testid="urls-panel">
      <p class="settings-hint">{t('settings.urls.hint')}</p>
      {error !== null && (
        <p class="settings-form-error" role="alert">
          {t('common.error', { message: error })}
        </p>
      )}
      {answer === null ? (
        <Loading error={error} />
      ) : answer.urls.length === 0 ? (
        <p class="settings-hint">{t('settings.urls.none')}</p>
      ) : (
        <Table head={[t('settings.urls.output'), t('settings.urls.protocol'), t('settings.urls.url'), '']}>
          {answer.urls.map((u) => (
            <UrlRow key={`${u.output_id}-${u.protocol}`} entry={u} />
          ))}
        </Table>
      )}
      {answer?.warnings.map((w) => (
        <p key={w} class="settings-reason">
          {w}
        </p>
      ))}
      <div class="settings-actions">
        <button type="button" data-testid="url-resolve" onClick={() => setRound((n) => n + 1)}>
          {t('settings.urls.again')}
        </button>
      </div>
    </div>
  );
}

function UrlRow({ entry }: { entry: ResolvedUrl }) {
  const t = useT();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  useEffect(() => {
    if (copied === null) return;
    const timer = setTimeout(() => setCopied(null), COPIED_MS);
    return () => clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    const ok = await copyText(entry.url);
    // Copying was refused: the URL is selected, so the user's own copy shortcut takes it.
    if (!ok) input.current?.select();
    setCopied(ok ? 'yes' : 'no');
  };

  return (
    <tr data-testid="url-row" data-protocol={entry.protocol} data-output={entry.output_id}>
      <td>
        <code>{entry.output_id}</code>
      </td>
      <td>
        {t(`settings.urls.protocol.${entry.protocol}`)}
        {entry.requires_auth && entry.auth_username && <span class="settings-hint"> {t('settings.urls.auth', { user: entry.auth_username })}</span>}
      </td>
      <td class="settings-url">
        <input ref={input} type="text" readOnly value={entry.url} data-testid="url-value" onFocus={(e) => e.currentTarget.select()} />
      </td>
      <td>
        <button type="button" data-testid="url-copy" onClick={() => void copy()}>
          {copied === 'yes' ? t('common.copied') : copied === 'no' ? t('settings.urls.copyManually') : t('common.copy')}
        </button>
      </td>
    </tr>
  );
}
