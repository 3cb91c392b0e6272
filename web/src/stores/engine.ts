import type { EngineStatus, SidecarStatus } from '../../../src/api/contract.js';
import { api } from '../api/client.js';
import { fetchStatuses } from './services.js';
import { createStore, type Fetcher, type Store } from './store.js';

/** What the streams view reads of the engine status: its state, why the binary is missing, whether a download may fetch it. */
export interface EngineSummary {
  state: EngineStatus['state'];
  binary: Pick<EngineStatus['binary'], 'reason'>;
  download: Pick<EngineStatus['download'], 'allowed'>;
}

export interface EngineState {
  /** Null until answered, and after a failed request: an unknown state is never shown as a known one. */
  engine: EngineSummary | null;
  mse: Pick<SidecarStatus, 'state'> | null;
}

export const createEngineStore = (): Store<EngineState> => createStore<EngineState>({ engine: null, mse: null });

export const engineStore = createEngineStore();

/** The banner's condition: only a status that says so, never a failed or pending request. */
export const engineMissing = (s: EngineState): boolean => s.engine?.state === 'missing';

/** Both statuses at once; one failing does not hide the other. Never throws; an abort changes nothing. */
export async function refreshEngine(store: Store<EngineState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  const statuses = await fetchStatuses(signal, fetcher);
  if (!statuses) return;
  const { engine, mse } = statuses;
  // Only the fields read here are kept: the full statuses carry sync times that change every poll.
  const next: EngineState = {
    engine: engine ? { state: engine.state, binary: { reason: engine.binary.reason }, download: { allowed: engine.download.allowed } } : null,
    mse: mse ? { state: mse.state } : null,
  };
  // The same answer keeps the same state object, so a poll does not re-render the view.
  store.set((prev) => (JSON.stringify(prev) === JSON.stringify(next) ? prev : next));
}
