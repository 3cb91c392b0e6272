import { useEffect, useMemo, useState } from 'preact/hooks';
import type { DiscoveredDevice } from '../../../../src/api/contract.js';
import { useT } from '../../i18n/use-t.js';
import type { CameraForm } from '../../stores/cameras.js';
import { createDiscovery, targetOfDevice, type Discovery, type DiscoveryState } from '../../stores/discovery.js';
import { NO_ERRORS } from '../../stores/form-errors.js';
import { useStore } from '../../stores/use-store.js';
import { CredentialsPrompt, DiscoverError, PreviewTable } from './discover-import.js';
import { Field, Form } from './fields.js';

export interface DiscoverPanelProps {
  /** The camera form to open, filled with the sources and credentials of the import. */
  onContinue: (form: CameraForm) => void;
  onClose: () => void;
}

/** "Discover cameras": the devices found, a credentials prompt, a preview of the import, then the usual camera form. */
export function DiscoverPanel({ onContinue, onClose }: DiscoverPanelProps) {
  const t = useT();
  const discovery = useMemo(() => createDiscovery(), []);
  const state = useStore(discovery.store);
  // Opening the panel is asking for a scan; closing it stops the polling.
  useEffect(() => {
    void discovery.scan();
    return () => discovery.dispose();
  }, [discovery]);

  return (
    <div class="settings-card settings-form" data-testid="discover" data-step={state.step}>
      <h3>{t('settings.discover.title')}</h3>
      {state.step === 'list' && <DeviceList discovery={discovery} state={state} />}
      {state.step === 'credentials' && state.target && <CredentialsPrompt discovery={discovery} state={state} target={state.target} />}
      {state.step === 'preview' && state.preview && <PreviewTable discovery={discovery} preview={state.preview} onContinue={onContinue} />}
      <div class="settings-actions settings-actions--end">
        {state.step !== 'list' && (
          <button type="button" data-testid="discover-back" onClick={discovery.back}>
            {t('settings.discover.back')}
          </button>
        )}
        <button type="button" data-testid="discover-close" onClick={onClose}>
          {t('settings.discover.close')}
        </button>
      </div>
    </div>
  );
}

function DeviceList({ discovery, state }: { discovery: Discovery; state: DiscoveryState }) {
  const t = useT();
  const devices = state.scan?.devices ?? [];
  return (
    <>
      <p class="settings-hint">{t('settings.discover.intro')}</p>
      <DiscoverError error={state.scanError} />
      {devices.length > 0 && (
        <ul class="settings-list">
          {devices.map((device) => (
            <DeviceRow key={device.endpoint} device={device} onChoose={() => discovery.choose(targetOfDevice(device))} />
          ))}
        </ul>
      )}
      <div class="settings-actions">
        {state.scanning ? (
          <span class="settings-hint" data-testid="discover-scanning">
            {t('settings.discover.scanning')}
          </span>
        ) : (
          <>
            {devices.length === 0 && state.scanError === null && <span class="settings-hint">{t('settings.discover.none')}</span>}
            <button type="button" data-testid="discover-again" onClick={() => void discovery.scan()}>
              {t('settings.discover.again')}
            </button>
          </>
        )}
      </div>
      <AddressForm discovery={discovery} />
    </>
  );
}

function DeviceRow({ device, onChoose }: { device: DiscoveredDevice; onChoose: () => void }) {
  const t = useT();
  const added = device.camera_id !== null;
  return (
    <li class="settings-card settings-row" data-testid="discover-device" data-host={device.host} data-port={device.port}>
      <div class="settings-row-main">
        <strong>{device.name ?? t('settings.discover.unnamed')}</strong> {device.hardware !== null && <span class="settings-muted">{device.hardware}</span>}{' '}
        <code>
          {device.host}:{device.port}
        </code>
        {added && (
          <span class="settings-badge" data-testid="discover-added">
            {t('settings.discover.alreadyAdded')}
          </span>
        )}
      </div>
      <div class="settings-actions">
        <button type="button" class="settings-primary" data-testid="discover-choose" disabled={added} onClick={onChoose}>
          {t('settings.discover.choose')}
        </button>
      </div>
    </li>
  );
}

/** For installs whose container cannot hear multicast (an add-on without host networking). */
function AddressForm({ discovery }: { discovery: Discovery }) {
  const t = useT();
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  return (
    <Form class="settings-group" testid="discover-address" onSubmit={() => discovery.choose({ host: host.trim(), port: port.trim(), devicePath: null, name: null })}>
      <h4>{t('settings.discover.byAddress')}</h4>
      <p class="settings-hint">{t('settings.discover.byAddressHint')}</p>
      <div class="settings-grid">
        <Field label={t('settings.discover.host')} field="host" errors={NO_ERRORS}>
          <input type="text" autoComplete="off" spellcheck={false} value={host} placeholder="192.168.1.10" data-testid="discover-host" onInput={(e) => setHost(e.currentTarget.value)} />
        </Field>
        <Field label={t('settings.discover.port')} field="port" errors={NO_ERRORS} hint={t('settings.discover.portHint')}>
          <input type="text" inputMode="numeric" autoComplete="off" value={port} placeholder="80" data-testid="discover-port" onInput={(e) => setPort(e.currentTarget.value)} />
        </Field>
      </div>
      <div class="settings-actions">
        <button type="submit" data-testid="discover-address-next" disabled={host.trim() === ''}>
          {t('settings.discover.next')}
        </button>
      </div>
    </Form>
  );
}
