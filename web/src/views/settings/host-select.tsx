import { useT } from '../../i18n/use-t.js';
import { hostOptions, type HostOption } from '../../stores/peers.js';
import { useStore } from '../../stores/use-store.js';
import { streamingSettingsStore } from './streaming-settings.js';

export interface HostSelectProps {
  value: string;
  testid: string;
  onChange: (serverId: string) => void;
}

/** Where a transmission (or its pipeline) runs: this server or an enabled peer, as the streaming settings list them. */
export function HostSelect({ value, testid, onChange }: HostSelectProps) {
  const t = useT();
  const { settings } = useStore(streamingSettingsStore);
  const label = (o: HostOption): string => {
    if (o.kind === 'self') return t('settings.tx.host.self', { id: o.value });
    if (o.kind === 'peer') return t('settings.tx.host.peer', { name: o.name });
    // Until the settings load nothing is known about the value: shown as it is.
    return settings ? t('settings.tx.host.other', { id: o.value }) : o.value;
  };
  return (
    <select value={value} data-testid={testid} onChange={(e) => onChange(e.currentTarget.value)}>
      {hostOptions(settings?.streaming ?? null, value).map((o) => (
        <option key={o.value} value={o.value}>
          {label(o)}
        </option>
      ))}
    </select>
  );
}
