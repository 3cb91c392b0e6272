import type { HostReachability } from '../../../../src/api/contract.js';
import { useState } from 'preact/hooks';
import { langStore } from '../../i18n/i18n.js';
import { useT } from '../../i18n/use-t.js';
import type { FormErrors } from '../../stores/form-errors.js';
import { distributedStatusStore, generateSecret, peerStatus, type PeerForm } from '../../stores/peers.js';
import { useStore } from '../../stores/use-store.js';
import { copyText } from './clipboard.js';
import type { RowProps } from './editor-form.js';
import { Check, Field } from './fields.js';

/** One peer of the distributed hosting form: who it is, where, the shared secret, and what it does for this server. */
export function PeerFields({ row: peer, at, errors, onChange }: RowProps<PeerForm>) {
  const t = useT();
  return (
    <>
      <div class="settings-grid">
        <Field label={t('settings.distributed.peer.name')} field={at('name')} errors={errors}>
          <input type="text" value={peer.name} data-testid="peer-name" onInput={(e) => onChange({ name: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.distributed.peer.id')} field={at('id')} errors={errors} hint={t('settings.distributed.peer.idHint')}>
          <input type="text" value={peer.id} data-testid="peer-id" onInput={(e) => onChange({ id: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.distributed.peer.base_url')} field={at('base_url')} errors={errors} hint={t('settings.distributed.peer.base_urlHint')} wide>
          <input type="text" value={peer.base_url} placeholder="http://192.168.1.20:8099" data-testid="peer-base-url" onInput={(e) => onChange({ base_url: e.currentTarget.value })} />
        </Field>
        <PeerSecret peer={peer} field={at('secret')} errors={errors} onChange={(secret) => onChange({ secret })} />
      </div>
      <Check label={t('settings.distributed.peer.enabled')} checked={peer.enabled} testid="peer-enabled" onChange={(enabled) => onChange({ enabled })} />
      <PeerStatusLines peer={peer} />
    </>
  );
}

interface PeerSecretProps {
  peer: PeerForm;
  field: string;
  errors: FormErrors;
  onChange: (secret: string) => void;
}

/**
 * Write-only: empty, saying when one is stored. A generated secret is shown once, to be copied to the
 * other server (which needs the same one), until it is edited or saved: the form reloads empty.
 */
function PeerSecret({ peer, field, errors, onChange }: PeerSecretProps) {
  const t = useT();
  const [generated, setGenerated] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const shown = generated !== null && generated === peer.secret;
  return (
    <Field label={t('settings.distributed.peer.secret')} field={field} errors={errors} hint={shown ? t('settings.distributed.peer.generated') : undefined} wide>
      <span class="settings-actions">
        <input
          type="password"
          autoComplete="new-password"
          value={peer.secret}
          placeholder={peer.has_secret ? t('settings.distributed.peer.secretStored') : t('settings.distributed.peer.secretNew')}
          data-testid="peer-secret"
          onInput={(e) => onChange(e.currentTarget.value)}
        />
        <button
          type="button"
          data-testid="peer-secret-generate"
          onClick={() => {
            const secret = generateSecret();
            setGenerated(secret);
            setCopied(false);
            onChange(secret);
          }}
        >
          {t('settings.distributed.peer.generate')}
        </button>
      </span>
      {shown && (
        <span class="settings-actions">
          <code data-testid="peer-secret-shown">{peer.secret}</code>
          <button type="button" data-testid="peer-secret-copy" onClick={() => void copyText(peer.secret).then(setCopied)}>
            {copied ? t('settings.distributed.peer.copied') : t('settings.distributed.peer.copy')}
          </button>
        </span>
      )}
    </Field>
  );
}

/** What this server pulled to host for the peer and, when the server reports it, whether the peer answers as a host. */
function PeerStatusLines({ peer }: { peer: PeerForm }) {
  const t = useT();
  const lang = useStore(langStore);
  const { status } = useStore(distributedStatusStore);
  const when = (iso: string | null) => (iso === null ? t('settings.none') : new Date(iso).toLocaleString(lang));
  if (!peer.enabled) return <p class="settings-hint">{t('settings.distributed.status.disabled')}</p>;
  const { pull, conflicts, host } = peerStatus(status, peer.id.trim());
  if (!pull && !host) return <p class="settings-hint">{t('settings.distributed.status.none')}</p>;
  return (
    <div class="settings-hint" data-testid="peer-status" role="status">
      {pull && (
        <p>
          {pull.version === null
            ? t('settings.distributed.status.nothingPulled')
            : t('settings.distributed.status.hosting', { count: pull.transmissions, version: pull.version, at: when(pull.pulled_at) })}{' '}
          {pull.checked_at !== null && t('settings.distributed.status.checked', { at: when(pull.checked_at) })}
        </p>
      )}
      {pull?.error && <p class="settings-form-error">{t('settings.distributed.status.pullFailed', { error: pull.error })}</p>}
      {conflicts.map((c) => (
        <p key={c.transmission_id} class="settings-form-error">
          {t('settings.distributed.status.conflict', { id: c.transmission_id, reason: c.reason })}
        </p>
      ))}
      {host && <HostLine host={host} when={when} />}
    </div>
  );
}

function HostLine({ host, when }: { host: HostReachability; when: (iso: string | null) => string }) {
  const t = useT();
  if (host.reachable === null) return <p>{t('settings.distributed.status.unchecked')}</p>;
  if (host.reachable) return <p>{t('settings.distributed.status.reachable', { since: when(host.since) })}</p>;
  return <p class="settings-form-error">{t('settings.distributed.status.unreachable', { since: when(host.since), error: host.error ?? t('settings.distributed.status.noAnswer') })}</p>;
}
