/**
 * An RTSP broker from Debian's rtsp-server-perl (RTSP::Server 0.06): FFmpeg publishers ANNOUNCE/RECORD to
 * its source port, any number of readers pull from its client port. Readers must use UDP (TCP SETUP
 * answers 400); the publisher sends RTP over UDP too. Bound to 127.0.0.1 only.
 */
import { onLines, spawnMedia, type MediaProcess } from './proc.js';
import { freePort, freeUdpRange, LOOPBACK } from '../support/ports.js';
import { Changes } from '../support/wait.js';

const RTSP_SERVER_PERL = '/usr/bin/rtsp-server-perl';

export interface RtspBrokerOptions {
  /** Port readers pull from (default: free port). */
  clientPort?: number;
  /** Port publishers push to (default: free port). */
  sourcePort?: number;
  /** Default 5 s. */
  readyTimeoutMs?: number;
}

export interface RtspBroker {
  clientPort: number;
  sourcePort: number;
  /** First of the UDP ports the broker allocates for RTP/RTCP (two per SETUP, upwards). */
  rtpBasePort: number;
  /** Where a publisher sends: rtsp://127.0.0.1:sourcePort/path. */
  publishUrl(path: string): string;
  /** Where readers pull (UDP only): rtsp://127.0.0.1:clientPort/path. */
  readUrl(path: string): string;
  /** Whether a publisher has RECORDed on `path` and not left. */
  isPublishing(path: string): boolean;
  /** Resolves once a publisher is RECORDing on `path` (readers can start then). */
  waitForPublisher(path: string, timeoutMs: number): Promise<void>;
  /** RTSP connections from readers so far (each ffmpeg/ffprobe reader is one). */
  readerConnections(): number;
  publisherConnections(): number;
  /** The broker's log (info + debug). */
  log(): string;
  readonly process: MediaProcess;
  stop(): Promise<void>;
}

// Loads the module first to move its global RTP start port: the broker resets its port counter to that
// global (20000) whenever no stream is mounted, which would make brokers of parallel tests collide.
// Also exits when stdin reaches EOF, so the broker cannot outlive a killed test worker.
const WRAPPER =
  '$| = 1; require AnyEvent; require RTSP::Server; $RTSP::Server::RTP_START_PORT = shift @ARGV; ' +
  'our $stdin_watch = AnyEvent->io(fh => \\*STDIN, poll => "r", cb => sub { my $b; exit 0 unless sysread(STDIN, $b, 4096) }); ' +
  `do "${RTSP_SERVER_PERL}"; die $@ if $@;`;

function normPath(path: string): string {
  return '/' + path.replace(/^\/+/, '');
}

async function startOnce(opts: RtspBrokerOptions): Promise<RtspBroker> {
  const clientPort = opts.clientPort ?? (await freePort());
  let sourcePort = opts.sourcePort ?? (await freePort());
  while (sourcePort === clientPort) sourcePort = await freePort();
  const rtpBasePort = await freeUdpRange(64);

  const changes = new Changes();
  const publishing = new Set<string>();
  let started = 0;
  let readers = 0;
  let sources = 0;
  let log = '';
  const onLine = (line: string) => {
    if (log.length < 200_000) log += line + '\n';
    let m: RegExpExecArray | null;
    if (/(Source|Client) server started/.test(line)) started++;
    else if (line.startsWith('Client connection from')) readers++;
    else if (line.startsWith('Source connection from')) sources++;
    else if ((m = /^Got record for mountpoint (\S+)/.exec(line))) publishing.add(m[1]!);
    else if ((m = /^Unmounting (\S+)/.exec(line))) publishing.delete(m[1]!);
    changes.notify();
  };

  const proc = spawnMedia(
    'rtsp-broker',
    'perl',
    [
      '-e',
      WRAPPER,
      '--',
      String(rtpBasePort),
      '--clientport',
      String(clientPort),
      '--serverport',
      String(sourcePort),
      '--client_listen_address',
      LOOPBACK,
      '--source_listen_address',
      LOOPBACK,
      '--rtp_start_port',
      String(rtpBasePort),
      '--loglevel',
      '4',
    ],
    { stdin: 'pipe', onStderrLine: onLine },
  );
  onLines(proc.child.stdout, onLine);
  void proc.exited.then(() => changes.notify());

  const died = () => (proc.hasExited() ? ` (broker exited)\n${log}${proc.stderrTail()}` : undefined);
  try {
    await changes.wait('rtsp broker ready', () => started >= 2, opts.readyTimeoutMs ?? 5_000, died);
  } catch (e) {
    await proc.stop();
    throw e;
  }

  return {
    clientPort,
    sourcePort,
    rtpBasePort,
    publishUrl: (path) => `rtsp://${LOOPBACK}:${sourcePort}${normPath(path)}`,
    readUrl: (path) => `rtsp://${LOOPBACK}:${clientPort}${normPath(path)}`,
    isPublishing: (path) => publishing.has(normPath(path)),
    async waitForPublisher(path, timeoutMs) {
      await changes.wait(`publisher RECORDing on ${normPath(path)}`, () => publishing.has(normPath(path)), timeoutMs, died);
    },
    readerConnections: () => readers,
    publisherConnections: () => sources,
    log: () => log,
    process: proc,
    async stop() {
      await proc.stop();
    },
  };
}

export async function startRtspBroker(opts: RtspBrokerOptions = {}): Promise<RtspBroker> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      // A port picked as free may have been taken before the broker bound it.
      if (opts.clientPort !== undefined || opts.sourcePort !== undefined || attempt >= 2) throw e;
    }
  }
}
