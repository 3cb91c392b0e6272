/**
 * The MSE client's calls against stand-ins (no DOM here): a ManagedMediaSource as on an iPhone, a
 * WebSocket relay, a <video>. What it plays is tested in Chromium (test/browser/managed-media-source.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Capabilities } from './capabilities.js';
import { mseAttach, mseCodecs, mseSupported } from './mse.js';

class FakeSourceBuffer extends EventTarget {
  updating = false;
  mode = 'segments';
  readonly buffered = { length: 0 };
  readonly appended: number[][] = [];
  appendBuffer(data: Uint8Array) {
    this.appended.push([...data]);
  }
}

/** A ManagedMediaSource (or MediaSource) stand-in recording what the client does with it. */
class FakeSource extends EventTarget {
  static readonly instances: FakeSource[] = [];
  static readonly asked: string[] = [];
  static isTypeSupported(mime: string) {
    FakeSource.asked.push(mime);
    return mime.includes('avc1');
  }
  readyState: 'closed' | 'open' = 'closed';
  readonly buffers: { mime: string; sb: FakeSourceBuffer }[] = [];
  constructor() {
    super();
    FakeSource.instances.push(this);
  }
  open() {
    this.readyState = 'open';
    this.dispatchEvent(new Event('sourceopen'));
  }
  addSourceBuffer(mime: string) {
    const sb = new FakeSourceBuffer();
    this.buffers.push({ mime, sb });
    return sb;
  }
}

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly instances: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  binaryType = 'blob';
  readonly sent: unknown[] = [];
  closed: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close(code: number) {
    this.closed = code;
  }
}

/** A <video> whose `srcObject` takes a MediaSource (Safari) or throws as Chromium's does. */
function fakeVideo(srcObjectTakesMediaSource: boolean) {
  let attached: unknown = null;
  const video = Object.assign(new EventTarget(), {
    currentTime: 0,
    paused: true,
    disableRemotePlayback: false,
    src: '',
    buffered: { length: 0 },
    play: () => Promise.resolve(),
    pause: () => undefined,
    load: () => undefined,
    removeAttribute: (name: string) => {
      if (name === 'src') video.src = '';
    },
  });
  Object.defineProperty(video, 'srcObject', {
    get: () => attached,
    set: (v: unknown) => {
      if (v !== null && !srcObjectTakesMediaSource) throw new TypeError("The provided value is not of type 'MediaStream'");
      attached = v;
    },
  });
  return video as typeof video & { srcObject: unknown };
}

const IPHONE: Capabilities = { video: ['h264', 'h265'], audio: ['aac', 'opus'], mse: 'ManagedMediaSource', nativeHls: true };
const callbacks = () => ({ onFirstFrame: vi.fn(), onProgress: vi.fn(), onError: vi.fn() });

beforeEach(() => {
  FakeSource.instances.length = 0;
  FakeSource.asked.length = 0;
  FakeSocket.instances.length = 0;
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('mseCodecs', () => {
  it.each<[string, Capabilities, string | null, string]>([
    ['video only without audio', IPHONE, null, 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0'],
    ['AAC when the output has it', IPHONE, 'aac', 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0,mp4a.40.2'],
    ['Opus when the output has it', { ...IPHONE, video: ['h264'] }, 'opus', 'avc1.640029,avc1.64002A,avc1.640033,opus'],
    ['no audio the browser does not decode', { ...IPHONE, audio: ['aac'] }, 'opus', 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0'],
    ['no audio codec outside the list', IPHONE, 'pcm_alaw', 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0'],
  ])('%s', (_name, caps, audio, expected) => expect(mseCodecs(caps, audio)).toBe(expected));
});

describe('mseSupported', () => {
  it.each<[string, Capabilities, boolean]>([
    ['ManagedMediaSource', IPHONE, true],
    ['MediaSource', { ...IPHONE, mse: 'MediaSource' }, true],
    ['neither (native HLS only)', { ...IPHONE, mse: null }, false],
    ['no video codec', { ...IPHONE, video: [] }, false],
  ])('%s', (_name, caps, expected) => expect(mseSupported(caps)).toBe(expected));
});

describe('the MSE client on ManagedMediaSource', () => {
  beforeEach(() => vi.stubGlobal('ManagedMediaSource', FakeSource));

  it('turns remote playback off, attaches by srcObject, asks for the codecs, appends, and goes on through endstreaming', () => {
    const createUrl = vi.spyOn(URL, 'createObjectURL');
    const video = fakeVideo(true);
    const cb = callbacks();
    const handle = mseAttach('aac', IPHONE)(video as unknown as HTMLVideoElement, 'ws://relay/mse', cb);

    const [mms] = FakeSource.instances;
    const [ws] = FakeSocket.instances;
    expect(video.disableRemotePlayback).toBe(true);
    expect(video.srcObject).toBe(mms);
    expect(createUrl).not.toHaveBeenCalled();
    expect(ws!.url).toBe('ws://relay/mse');
    expect(ws!.binaryType).toBe('arraybuffer');

    ws!.open();
    expect(ws!.sent).toEqual([]);
    mms!.open();
    expect(ws!.sent).toEqual([{ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0,mp4a.40.2' }]);

    const mime = 'video/mp4; codecs="avc1.640029,mp4a.40.2"';
    ws!.onmessage?.({ data: JSON.stringify({ type: 'mse', value: mime }) });
    expect(FakeSource.asked).toEqual([mime]);
    expect(mms!.buffers.map((b) => b.mime)).toEqual([mime]);
    const sb = mms!.buffers[0]!.sb;
    ws!.onmessage?.({ data: new Uint8Array([1, 2, 3]).buffer });
    expect(sb.appended).toEqual([[1, 2, 3]]);

    // The source has enough, then wants more: a live stream keeps appending either way.
    mms!.dispatchEvent(new Event('endstreaming'));
    sb.updating = true;
    ws!.onmessage?.({ data: new Uint8Array([4]).buffer });
    ws!.onmessage?.({ data: new Uint8Array([5]).buffer });
    sb.updating = false;
    sb.dispatchEvent(new Event('updateend'));
    mms!.dispatchEvent(new Event('startstreaming'));
    expect(sb.appended).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(cb.onError).not.toHaveBeenCalled();

    handle.stop();
    expect(ws!.closed).toBe(1000);
    expect(video.srcObject).toBeNull();
  });

  it('falls back to an object URL where srcObject takes no MediaSource (Chromium with a stand-in)', () => {
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:mms');
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockReturnValue(undefined);
    const video = fakeVideo(false);
    const handle = mseAttach(null, IPHONE)(video as unknown as HTMLVideoElement, 'ws://relay/mse', callbacks());
    expect(video.disableRemotePlayback).toBe(true);
    expect(video.src).toBe('blob:mms');
    FakeSocket.instances[0]!.open();
    FakeSource.instances[0]!.open();
    expect(FakeSocket.instances[0]!.sent).toEqual([{ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0' }]);
    handle.stop();
    expect(revoke).toHaveBeenCalledWith('blob:mms');
  });
});

describe('the MSE client on MediaSource', () => {
  it('attaches by object URL and leaves remote playback alone', () => {
    vi.stubGlobal('MediaSource', FakeSource);
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:ms');
    vi.spyOn(URL, 'revokeObjectURL').mockReturnValue(undefined);
    const video = fakeVideo(true);
    const handle = mseAttach(null, { ...IPHONE, video: ['h264'], mse: 'MediaSource' })(video as unknown as HTMLVideoElement, 'ws://relay/mse', callbacks());
    expect(video.disableRemotePlayback).toBe(false);
    expect(video.srcObject).toBeNull();
    expect(video.src).toBe('blob:ms');
    handle.stop();
  });

  it('asks go2rtc once when the socket and the source are both ready before either event runs (a busy page)', () => {
    vi.stubGlobal('MediaSource', FakeSource);
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:ms');
    vi.spyOn(URL, 'revokeObjectURL').mockReturnValue(undefined);
    const handle = mseAttach(null, { ...IPHONE, video: ['h264'], mse: 'MediaSource' })(fakeVideo(true) as unknown as HTMLVideoElement, 'ws://relay/mse', callbacks());
    const [ms] = FakeSource.instances.slice(-1);
    const [ws] = FakeSocket.instances.slice(-1);
    // The source opened, its event still queued; the socket's open event runs first, then the source's.
    ms!.readyState = 'open';
    ws!.open();
    ms!.dispatchEvent(new Event('sourceopen'));
    expect(ws!.sent).toEqual([{ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.640033' }]);
    handle.stop();
  });
});
