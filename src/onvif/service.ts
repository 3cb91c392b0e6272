import { randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { PublicCamera } from '../domain/camera.js';
import { cameraInputSchema } from '../domain/camera.js';
import type { CameraService } from '../control/cameras.js';
import { notFound } from '../shared/errors.js';
import { parseWith } from '../shared/schema.js';
import { readDevice, type DeviceInfo } from './device.js';
import { MULTICAST_TARGET, probe, type DiscoveryTarget, type ProbeMatch } from './discovery.js';
import { planImport, type ImportedSource, type RoledProfile } from './import-map.js';

export interface OnvifOptions {
  /** Where WS-Discovery Probes go. Default 239.255.255.250:3702 (the multicast group). */
  discoveryTarget?: DiscoveryTarget;
  /** How long one SOAP request to a camera may take. Default 5 s. */
  requestTimeoutMs?: number;
}

/** A device that answered a scan; `camera_id` names a camera already pulling from its host. */
export type DiscoveredDevice = ProbeMatch & { camera_id: string | null };

/** `POST api/cameras/discover`, `GET api/cameras/discover/{scan_id}`. */
export interface DiscoveryScan {
  id: string;
  state: 'running' | 'done';
  started_at: string;
  ends_at: string;
  devices: DiscoveredDevice[];
  error: string | null;
}

export interface ImportInput {
  host: string;
  port: number;
  device_path: string;
  username: string | null;
  password: string | null;
  name?: string | undefined;
  id?: string | undefined;
}

/** `POST api/cameras/onvif/import` with `dry_run`: what would be created (no credentials in it). */
export interface OnvifImportPreview {
  device: DeviceInfo | null;
  profiles: RoledProfile[];
  camera: { name: string; sources: ImportedSource[] };
}
/** `POST api/cameras/onvif/import`: the camera created. */
export type OnvifImportResult = Omit<OnvifImportPreview, 'camera'> & { camera: PublicCamera };

/** A scan as kept: `camera_id` is looked up when it is read, so a camera added meanwhile counts. */
type ScanRecord = Omit<DiscoveryScan, 'devices'> & { devices: ProbeMatch[] };

/** Scans remembered for polling after they end. */
const KEPT_SCANS = 5;

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
};

function checkOptions(opts: OnvifOptions): Required<OnvifOptions> {
  const target = opts.discoveryTarget ?? MULTICAST_TARGET;
  if (!isIPv4(target.address)) throw new Error('onvif: discoveryTarget.address must be an IPv4 address');
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new Error('onvif: discoveryTarget.port must be an integer 1..65535');
  const requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 50 || requestTimeoutMs > 60_000) throw new Error('onvif: requestTimeoutMs must be an integer 50..60000');
  return { discoveryTarget: target, requestTimeoutMs };
}

/** ONVIF discovery scans and imports; cameras are written through the camera service, like any other. */
export function createOnvifService(cameras: CameraService, opts: OnvifOptions = {}) {
  const { discoveryTarget, requestTimeoutMs } = checkOptions(opts);
  const scans = new Map<string, ScanRecord>();
  let running: ScanRecord | null = null;

  const view = (scan: ScanRecord): DiscoveryScan => {
    const list = cameras.list();
    const cameraAt = (host: string) => list.find((c) => c.sources.some((s) => hostOf(s.url) === host.toLowerCase()))?.id ?? null;
    return { ...scan, devices: scan.devices.map((d) => ({ ...d, camera_id: cameraAt(d.host) })) };
  };

  async function read(input: ImportInput): Promise<OnvifImportPreview> {
    const credentials = input.username ? { username: input.username, password: input.password ?? '' } : null;
    const { device, profiles: found } = await readDevice({ host: input.host, port: input.port, devicePath: input.device_path }, credentials, { timeoutMs: requestTimeoutMs });
    const { profiles, sources } = planImport(found);
    const described = [device?.manufacturer, device?.model].filter(Boolean).join(' ');
    return { device, profiles, camera: { name: input.name ?? (described || input.host).slice(0, 120), sources } };
  }

  return {
    /** Starts a scan, or returns the one still running. */
    discover(timeoutMs: number): DiscoveryScan {
      if (running) return view(running);
      const started = Date.now();
      const scan: ScanRecord = { id: randomUUID(), state: 'running', started_at: new Date(started).toISOString(), ends_at: new Date(started + timeoutMs).toISOString(), devices: [], error: null };
      running = scan;
      scans.set(scan.id, scan);
      for (const old of [...scans.keys()].slice(0, -KEPT_SCANS)) scans.delete(old);
      probe({ target: discoveryTarget, timeoutMs, onDevice: (d) => scan.devices.push(d) })
        .catch((err: unknown) => {
          scan.error = `the discovery probe could not be sent: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
        })
        .finally(() => {
          scan.state = 'done';
          running = null;
        });
      return view(scan);
    },

    scan(id: string): DiscoveryScan {
      const scan = scans.get(id);
      if (!scan) throw notFound('discovery scan', id);
      return view(scan);
    },

    preview: read,

    async import(input: ImportInput): Promise<OnvifImportResult> {
      const { device, profiles, camera } = await read(input);
      const credentials = { username: input.username, password: input.password };
      const body = { ...(input.id === undefined ? {} : { id: input.id }), name: camera.name, sources: camera.sources.map((s) => ({ ...s, ...credentials })) };
      return { device, profiles, camera: await cameras.create(parseWith(cameraInputSchema, body)) };
    },
  };
}
export type OnvifService = ReturnType<typeof createOnvifService>;
