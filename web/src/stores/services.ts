import type { EngineStatus, SidecarStatus } from '../../../src/api/contract.js';
import { api, ApiFailure } from '../api/client.js';
import { createStore, errorMessage, type Fetcher, type Store } from './store.js';

/**
 * The full statuses. The streams view's `engineStore` keeps only the state on purpose (a poll
 * that changes sync times must not re-render the grid); Settings shows the reasons, errors and
 * download state, so it reads the whole answer.
 */
interface Statuses {
  engine: EngineStatus;
  mse: SidecarStatus;
}
export type Service = keyof Statuses;
export type ServiceAction = 'start' | 'stop' | 'restart' | 'download';

export interface ServicesState {
  /** Null until answered and after a failed request: an unknown state is never shown as a known one. */
  engine: EngineStatus | null;
  mse: SidecarStatus | null;
  /** The action in flight: its buttons are disabled until the server answers with the new status. */
  busy: { service: Service; action: ServiceAction } | null;
  /** The last refused action (a download turned off names the setting that allows it). */
  failure: { service: Service; message: string; field: string | null } | null;
}

export const createServicesStore = (): Store<ServicesState> => createStore<ServicesState>({ engine: null, mse: null, busy: null, failure: null });

export const servicesStore = createServicesStore();

/** Both statuses at once, each null when its request failed (one failing does not hide the other); null when aborted. */
export async function fetchStatuses(signal: AbortSignal, fetcher: Fetcher = api): Promise<{ [S in Service]: Statuses[S] | null } | null> {
  const [engine, mse] = await Promise.allSettled([fetcher<EngineStatus>('api/streams/engine/status', { signal }), fetcher<SidecarStatus>('api/streams/mse/status', { signal })]);
  if (signal.aborted) return null;
  return { engine: engine.status === 'fulfilled' ? engine.value : null, mse: mse.status === 'fulfilled' ? mse.value : null };
}

/** Both statuses. Never throws; an abort changes nothing. */
export async function refreshServices(store: Store<ServicesState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  const statuses = await fetchStatuses(signal, fetcher);
  if (statuses) store.set((prev) => ({ ...prev, ...statuses }));
}

/**
 * Start/stop/restart answer with the new status (a failed start is a state in it, not an HTTP
 * error); a download can be refused with an error naming the setting. One action at a time.
 */
export async function runServiceAction(store: Store<ServicesState>, service: Service, action: ServiceAction, call: typeof api = api): Promise<void> {
  if (store.get().busy) return;
  store.set((prev) => ({ ...prev, busy: { service, action }, failure: null }));
  try {
    const status = await call<Statuses[Service]>(`api/streams/${service}/${action}`, { method: 'POST' });
    store.set((prev) => ({ ...prev, [service]: status, busy: null }));
  } catch (err) {
    const failure = {
      service,
      message: errorMessage(err),
      field: err instanceof ApiFailure ? err.field : null,
    };
    store.set((prev) => ({ ...prev, busy: null, failure }));
  }
}
