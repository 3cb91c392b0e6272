import type { Logger } from 'pino';
import * as v from 'valibot';
import type { HomeAssistantEntry } from '../domain/settings.js';
import { ApiError } from '../shared/errors.js';
import { redactUrls } from '../shared/logger.js';
import type { SettingsStore } from '../store/settings-store.js';
import type { HaCameras } from './ha-cameras.js';
import type { HaCamera, ProvisionReport, ProvisionStep, RemovalReport } from '../api/contract.js';
import { SupervisorUnavailable, type SupervisorClient, type SupervisorResponse } from './supervisor-client.js';

export interface ProvisionOptions {
  supervisor: SupervisorClient;
  cameras: HaCameras;
  store: SettingsStore;
  logger: Logger;
  /** Generic Camera's `framerate`: how often Home Assistant refreshes the still while a card shows it. Default 2. */
  framerate?: number;
  now?: () => Date;
}

const FLOWS = '/core/api/config/config_entries/flow';
const ENTRIES = '/core/api/config/config_entries/entry';

// The config-flow HTTP view's JSON (homeassistant/helpers/data_entry_flow.py): a form's data_schema
// is voluptuous_serialize output, where a section is {"type": "expandable", "name", "schema": [...]}.
const leafSchema = v.looseObject({ name: v.string(), required: v.optional(v.boolean()), default: v.optional(v.unknown()) });
const fieldSchema = v.looseObject({ name: v.string(), type: v.optional(v.string()), required: v.optional(v.boolean()), default: v.optional(v.unknown()), schema: v.optional(v.array(leafSchema)) });
type Field = v.InferOutput<typeof fieldSchema>;
const flowResultSchema = v.looseObject({
  type: v.string(),
  flow_id: v.optional(v.string()),
  step_id: v.optional(v.string()),
  data_schema: v.optional(v.nullable(v.array(fieldSchema))),
  errors: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  reason: v.optional(v.string()),
  result: v.optional(v.looseObject({ entry_id: v.string(), title: v.optional(v.string()) })),
});
type FlowResult = v.InferOutput<typeof flowResultSchema>;
const removeResultSchema = v.looseObject({ require_restart: v.optional(v.boolean()) });

/** Fills a form from `values`: fields inside sections too; a required field without a value or default is named. */
function fillForm(fields: readonly Field[], values: Record<string, unknown>): { input: Record<string, unknown>; missing: string[] } {
  const input: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const f of fields) {
    if (f.type === 'expandable' && f.schema) {
      const inner = fillForm(f.schema, values);
      missing.push(...inner.missing.map((n) => `${f.name}.${n}`));
      if (Object.keys(inner.input).length > 0 || f.required) input[f.name] = inner.input;
    } else if (f.name in values) input[f.name] = values[f.name];
    else if (f.required && f.default === undefined) missing.push(f.name);
  }
  return { input, missing };
}

const names = (fields: readonly Field[]): string[] => fields.flatMap((f) => (f.type === 'expandable' && f.schema ? f.schema.map((l) => l.name) : [f.name]));

/**
 * Creates and removes Home Assistant camera entities through Core's config-entry flow API (via
 * Supervisor): Generic Camera's `user` step with the stream and still URLs, its confirmation step,
 * then the entry's title set to the camera's name (Generic Camera names an entry after the URL's
 * host, which would be the add-on's for every camera).
 */
export function createProvisioner({ supervisor, cameras, store, logger, framerate = 2, now = () => new Date() }: ProvisionOptions) {
  if (!(framerate > 0 && framerate <= 60)) throw new Error('provisioner: framerate must be above 0 and at most 60');
  const log = logger.child({ component: 'home-assistant' });
  const inFlight = new Set<string>();

  const noSupervisor = () => new ApiError(503, 'no_supervisor', 'Home Assistant entities are created through Supervisor: run the server as a Home Assistant add-on (SUPERVISOR_TOKEN)');

  /** Calls one step; Supervisor out of reach is a failure of that step. */
  async function call(steps: ProvisionStep[], step: string, method: string, path: string, fail: (step: string, why: string) => ApiError, body?: unknown): Promise<SupervisorResponse> {
    const request = `${method} ${path.replace(/^\/core/, '')}`;
    try {
      const res = await supervisor.request(method, path, body);
      steps.push({ step, request, status: res.status, result: '' });
      return res;
    } catch (err) {
      if (!(err instanceof SupervisorUnavailable)) throw err;
      steps.push({ step, request, status: null, result: err.message });
      throw fail(step, `Home Assistant could not be reached through Supervisor (${err.message})`);
    }
  }

  /** What Home Assistant said about a refused request, in one line. */
  function refusal(res: SupervisorResponse, scrub: (s: string) => string): string {
    const b = res.body as { message?: unknown; errors?: unknown } | string | null;
    const said = typeof b === 'string' ? b : typeof b?.message === 'string' ? b.message : b?.errors !== undefined ? JSON.stringify(b.errors) : JSON.stringify(b);
    const hint = res.status === 401 || res.status === 403 ? ' (Supervisor refused the add-on token: is homeassistant_api on?)' : '';
    return `HTTP ${res.status}: ${scrub(said).slice(0, 300)}${hint}`;
  }

  async function provision(publicationId: string): Promise<ProvisionReport> {
    if (!supervisor.available) throw noSupervisor();
    const { camera, list } = await cameras.camera(publicationId);
    if (camera.entry) {
      throw new ApiError(409, 'already_provisioned', `${publicationId} already has the Home Assistant entry ${camera.entry.entry_id}; remove it first`, 'publication_id', {
        entry_id: camera.entry.entry_id,
      });
    }
    if (!list.reader.has_password) {
      throw new ApiError(409, 'reader_password_required', 'set the add-on option rtsp_reader_password: Home Assistant reads the stream over RTSP with it', 'rtsp_reader_password');
    }
    if (camera.still_image_url === null) {
      throw new ApiError(409, 'direct_port_required', 'the still image for Home Assistant is served on the direct port; set TOPOSYNC_STREAMING_DIRECT_PORT', 'TOPOSYNC_STREAMING_DIRECT_PORT');
    }
    if (inFlight.has(publicationId)) throw new ApiError(409, 'provision_in_progress', `an entity for ${publicationId} is being created right now`, 'publication_id');
    inFlight.add(publicationId);
    try {
      return await run(camera);
    } finally {
      inFlight.delete(publicationId);
    }
  }

  async function run(camera: HaCamera): Promise<ProvisionReport> {
    const secrets = [store.get().streaming.lan_reader.password, new URL(camera.still_image_url!).searchParams.get('media_token')].filter((s): s is string => !!s);
    const scrub = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), redactUrls(s));
    const steps: ProvisionStep[] = [];
    let flowId: string | null = null;
    // Until the entry exists, a failure leaves a flow open in Home Assistant (and its preview stream running).
    let flowOpen = false;
    const fail = (step: string, why: string) => {
      log.warn({ publication_id: camera.publication_id, step, flow_id: flowId, why }, 'Home Assistant entity not created');
      return new ApiError(502, 'home_assistant_error', `Home Assistant, step "${step}": ${why}`, null, { step, flow_id: flowId, steps });
    };
    const parse = (step: string, res: SupervisorResponse): FlowResult => {
      if (res.status !== 200) throw fail(step, refusal(res, scrub));
      const parsed = v.safeParse(flowResultSchema, res.body);
      if (!parsed.success) throw fail(step, 'the answer is not a config flow result');
      const r = parsed.output;
      steps.at(-1)!.result = r.type === 'form' ? `form ${r.step_id ?? '?'}` : r.type === 'abort' ? `abort: ${r.reason ?? '?'}` : r.type;
      return r;
    };

    try {
      let result = parse('start_flow', await call(steps, 'start_flow', 'POST', FLOWS, fail, { handler: 'generic', show_advanced_options: false }));
      flowId = result.flow_id ?? null;
      if (flowId === null) throw fail('start_flow', 'the flow has no flow_id');
      flowOpen = true;
      const values: Record<string, unknown> = {
        still_image_url: camera.still_image_url,
        stream_source: camera.stream_source,
        // TCP: one connection through Docker's network, no UDP ports to open.
        rtsp_transport: 'tcp',
        authentication: 'basic',
        framerate,
        verify_ssl: true,
      };
      const answered = new Set<string>();
      while (result.type === 'form') {
        const step = result.step_id ?? 'form';
        const errors = result.errors ?? {};
        if (Object.keys(errors).length > 0) throw fail(step, `Home Assistant refused the input: ${scrub(JSON.stringify(errors))}`);
        if (answered.has(step)) throw fail(step, 'Home Assistant asked for the same step again');
        answered.add(step);
        const fields = result.data_schema ?? [];
        let input: Record<string, unknown>;
        if (names(fields).includes('confirmed_ok')) input = { confirmed_ok: true };
        else if (names(fields).includes('still_image_url') && names(fields).includes('stream_source')) {
          const form = fillForm(fields, values);
          if (form.missing.length > 0) throw fail(step, `the form asks for ${form.missing.join(', ')}, which this add-on does not know how to fill`);
          input = form.input;
        } else throw fail(step, `unexpected step (fields: ${names(fields).join(', ') || 'none'})`);
        result = parse(step, await call(steps, step, 'POST', `${FLOWS}/${encodeURIComponent(flowId)}`, fail, input));
      }
      // Past its forms the flow has ended in Home Assistant, with an entry or not.
      flowOpen = false;
      if (result.type !== 'create_entry' || !result.result) {
        throw fail(steps.at(-1)?.step ?? 'flow', result.type === 'abort' ? `the flow was aborted: ${result.reason ?? 'no reason'}` : `the flow ended with "${result.type}", not an entry`);
      }
      const created = result.result;
      const entry: HomeAssistantEntry = { entry_id: created.entry_id, publication_id: camera.publication_id, title: created.title ?? camera.name, created_at: now().toISOString() };
      await store.update((draft) => {
        draft.home_assistant.entries.push(entry);
      });
      const warnings: string[] = [];
      const rename = { step: 'rename', request: 'WebSocket config_entries/update', status: null, result: '' };
      steps.push(rename);
      try {
        await supervisor.coreCommand({ type: 'config_entries/update', entry_id: entry.entry_id, title: camera.name });
        rename.result = 'ok';
        entry.title = camera.name;
        await store.update((draft) => {
          const kept = draft.home_assistant.entries.find((e) => e.entry_id === entry.entry_id);
          if (kept) kept.title = camera.name;
        });
      } catch (err) {
        // The entity exists and works; only its name is the URL's host.
        rename.result = scrub((err as Error).message);
        warnings.push(`the entity was created but not renamed (${rename.result}); rename it in Home Assistant`);
      }
      log.info({ publication_id: camera.publication_id, entry_id: entry.entry_id, title: entry.title }, 'Home Assistant camera entity created');
      return { publication_id: camera.publication_id, flow_id: flowId, entry_id: entry.entry_id, title: entry.title, steps, warnings };
    } catch (err) {
      if (flowOpen && flowId !== null) {
        const abort = { step: 'abort_flow', request: `DELETE ${FLOWS.replace(/^\/core/, '')}/${flowId}`, status: null as number | null, result: '' };
        steps.push(abort);
        try {
          abort.status = (await supervisor.request('DELETE', `${FLOWS}/${encodeURIComponent(flowId)}`)).status;
        } catch (e) {
          abort.result = (e as Error).message;
        }
      }
      throw err;
    }
  }

  async function remove(entryId: string): Promise<RemovalReport> {
    const entry = store.get().home_assistant.entries.find((e) => e.entry_id === entryId);
    if (!entry) throw new ApiError(404, 'not_found', `Home Assistant entry "${entryId}" was not created by this add-on`, 'entry_id');
    if (!supervisor.available) throw noSupervisor();
    const steps: ProvisionStep[] = [];
    const fail = (step: string, why: string) => new ApiError(502, 'home_assistant_error', `Home Assistant, step "${step}": ${why}`, null, { step, steps });
    const res = await call(steps, 'remove_entry', 'DELETE', `${ENTRIES}/${encodeURIComponent(entryId)}`, fail);
    // 404: removed in Home Assistant already; forgetting it here is all that is left.
    if (res.status !== 200 && res.status !== 404) throw fail('remove_entry', refusal(res, redactUrls));
    const parsed = v.safeParse(removeResultSchema, res.body);
    steps[0]!.result = res.status === 404 ? 'already removed' : 'removed';
    await store.update((draft) => {
      draft.home_assistant.entries = draft.home_assistant.entries.filter((e) => e.entry_id !== entryId);
    });
    log.info({ entry_id: entryId, publication_id: entry.publication_id, already_removed: res.status === 404 }, 'Home Assistant camera entity removed');
    return {
      entry_id: entryId,
      publication_id: entry.publication_id,
      already_removed: res.status === 404,
      require_restart: parsed.success ? parsed.output.require_restart === true : false,
      steps,
    };
  }

  return { provision, remove };
}
export type Provisioner = ReturnType<typeof createProvisioner>;
