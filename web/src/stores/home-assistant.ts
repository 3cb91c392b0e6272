import type { AddonStatus as ApiAddonStatus, HaCamera as ApiHaCamera, HaCameraList as ApiHaCameraList, HaEntry, ProvisionReport, ProvisionStep, RemovalReport } from '../../../src/api/contract.js';
import { api, ApiFailure } from '../api/client.js';
import { createStore, errorMessage, type Fetcher, type Store } from './store.js';

/** The add-on status as far as this tab reads it. */
export type AddonStatus = Pick<ApiAddonStatus, 'mode' | 'home_assistant_api'> & { supervisor: Pick<ApiAddonStatus['supervisor'], 'token_present'> };

/** One camera of the list as the tab keeps it: `stream_source` with the password, `still_image_url` with the token, replaced by {@link MASK}. */
export type HaCamera = Pick<ApiHaCamera, 'publication_id' | 'camera_id' | 'name' | 'role' | 'label' | 'stream_source' | 'still_image_url' | 'entry'>;

type HaCameraList = Omit<ApiHaCameraList, 'cameras' | 'orphaned_entries'> & { cameras: HaCamera[]; orphaned_entries: HaEntry[] };

type HaAction = 'provision' | 'remove';

/** A refused action: the server's code and message, and for Home Assistant's own errors the failing step and every step made. */
export interface HaFailure {
  /** Null when the server was not reached at all. */
  status: number | null;
  code: string;
  message: string;
  step: string | null;
  /** The entry a 409 `already_provisioned` names. */
  entry_id: string | null;
  steps: ProvisionStep[];
}

/** What the last action did; `target` is the publication (provision) or the entry (remove) it was for. */
export type HaOutcome =
  | { kind: 'created'; action: 'provision'; target: string; report: ProvisionReport }
  | { kind: 'removed'; action: 'remove'; target: string; report: RemovalReport }
  | { kind: 'failed'; action: HaAction; target: string; failure: HaFailure };

export interface HomeAssistantState {
  /** Null until answered: whether entities can be created at all is not guessed. */
  status: AddonStatus | null;
  list: HaCameraList | null;
  /** The last refresh failed; the last good answers stay on screen. */
  error: string | null;
  /** One action at a time: every button waits until the server answers and the list is reloaded. */
  busy: { action: HaAction; target: string } | null;
  last: HaOutcome | null;
}

export const createHomeAssistantStore = (): Store<HomeAssistantState> => createStore<HomeAssistantState>({ status: null, list: null, error: null, busy: null, last: null });

/** Module-wide, so the last action's report is still there when the tab is opened again. */
export const homeAssistantStore = createHomeAssistantStore();

const MASK = '•••';

/** `rtsp://user:password@host/...` → `rtsp://user:•••@host/...`: the reader's password stays out of the page. */
export const maskStreamSource = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, `$1:${MASK}@`);

/** The still image URL without its long-lived media token, which opens the stream to whoever holds it. */
export const maskStillUrl = (url: string): string => url.replace(/([?&]media_token=)[^&#]*/, `$1${MASK}`);

const entryOf = (e: HaEntry): HaEntry => ({ entry_id: e.entry_id, publication_id: e.publication_id, title: e.title, created_at: e.created_at });

/** Only what the tab shows (the server's answer carries more), secrets masked before anything can render them. */
function toHaCameraList(answer: ApiHaCameraList): HaCameraList {
  return {
    addon_host: answer.addon_host,
    addon_host_source: answer.addon_host_source,
    rtsp_port: answer.rtsp_port,
    direct_port: answer.direct_port,
    reader: { username: answer.reader.username, has_password: answer.reader.has_password },
    cameras: answer.cameras.map((c) => ({
      publication_id: c.publication_id,
      camera_id: c.camera_id,
      name: c.name,
      role: c.role,
      label: c.label,
      stream_source: maskStreamSource(c.stream_source),
      still_image_url: c.still_image_url === null ? null : maskStillUrl(c.still_image_url),
      entry: c.entry === null ? null : entryOf(c.entry),
    })),
    orphaned_entries: answer.orphaned_entries.map(entryOf),
    warnings: answer.warnings,
  };
}

/** Why no entity can be created here, or null when the server can try (Home Assistant may still refuse). */
export function entitiesUnavailable(status: AddonStatus | null): 'not_addon' | 'no_supervisor' | null {
  if (status === null) return null;
  if (status.mode !== 'addon') return 'not_addon';
  return status.supervisor.token_present ? null : 'no_supervisor';
}

/** The add-on status and the camera list; one failing does not hide the other. Never throws; an abort changes nothing. */
export async function refreshHomeAssistant(store: Store<HomeAssistantState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  const [status, list] = await Promise.allSettled([fetcher<ApiAddonStatus>('api/streams/addon', { signal }), fetcher<ApiHaCameraList>('api/streams/home-assistant/cameras', { signal })]);
  if (signal.aborted) return;
  const failed = [status, list].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  store.set((prev) => ({
    ...prev,
    status:
      status.status === 'fulfilled'
        ? { mode: status.value.mode, supervisor: { token_present: status.value.supervisor.token_present }, home_assistant_api: { ...status.value.home_assistant_api } }
        : prev.status,
    list: list.status === 'fulfilled' ? toHaCameraList(list.value) : prev.list,
    error: failed ? errorMessage(failed.reason) : null,
  }));
}

const stepsOf = (value: unknown): ProvisionStep[] => (Array.isArray(value) ? (value as ProvisionStep[]) : []);

/** A refusal as the tab shows it; the details are the server's 502/409 extras (src/addon/provision.ts). */
export function failureOf(err: unknown): HaFailure {
  if (!(err instanceof ApiFailure)) return { status: null, code: 'unreachable', message: errorMessage(err), step: null, entry_id: null, steps: [] };
  const { step, entry_id: entryId, steps } = err.details;
  return {
    status: err.status,
    code: err.code,
    message: err.message,
    step: typeof step === 'string' ? step : null,
    entry_id: typeof entryId === 'string' ? entryId : null,
    steps: stepsOf(steps),
  };
}

const enc = encodeURIComponent;

/**
 * Runs one action, then reloads the list before letting the next one start: after a success the
 * camera shows its entry (or the orphan is gone), after a 409 the list was stale anyway.
 */
async function act(store: Store<HomeAssistantState>, action: HaAction, target: string, request: () => Promise<HaOutcome>, signal: AbortSignal, call: typeof api): Promise<void> {
  if (store.get().busy) return;
  store.set((prev) => ({ ...prev, busy: { action, target }, last: null }));
  let last: HaOutcome;
  try {
    last = await request();
  } catch (err) {
    last = { kind: 'failed', action, target, failure: failureOf(err) };
  }
  await refreshHomeAssistant(store, signal, call);
  store.set((prev) => ({ ...prev, busy: null, last }));
}

/** "Create entity": the server runs Generic Camera's config flow in Home Assistant and reports each step. */
export function provisionCamera(store: Store<HomeAssistantState>, publicationId: string, signal: AbortSignal, call: typeof api = api): Promise<void> {
  return act(
    store,
    'provision',
    publicationId,
    async () => ({
      kind: 'created',
      action: 'provision',
      target: publicationId,
      report: await call<ProvisionReport>(`api/streams/home-assistant/cameras/${enc(publicationId)}/provision`, { method: 'POST' }),
    }),
    signal,
    call,
  );
}

/** "Remove entity": the server deletes the config entry in Home Assistant and forgets it. */
export function removeEntry(store: Store<HomeAssistantState>, entryId: string, signal: AbortSignal, call: typeof api = api): Promise<void> {
  return act(
    store,
    'remove',
    entryId,
    async () => ({
      kind: 'removed',
      action: 'remove',
      target: entryId,
      report: await call<RemovalReport>(`api/streams/home-assistant/cameras/entries/${enc(entryId)}`, { method: 'DELETE' }),
    }),
    signal,
    call,
  );
}
