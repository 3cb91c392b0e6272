/**
 * A WebSocket client that writes frames byte by byte (RFC 6455), so a test can send what no
 * client library would: unmasked or fragmented frames, reserved bits and opcodes, a length that
 * lies, data after a close frame, a handshake with odd headers. It reads the server's frames
 * enough to know the messages and the close code.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A header value that removes one of the handshake's own headers. */
export const OMIT_HEADER = '\u0000omit';

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameOptions {
  fin?: boolean;
  /** Client frames must be masked; false sends one unmasked (a protocol error). */
  mask?: boolean;
  /** RSV1-3 bits (0-7); non-zero without an extension is a protocol error. */
  rsv?: number;
  /** A payload length to announce instead of the real one (a lie). */
  announce?: number;
}

export function frame(opcode: number, payload: Buffer | string = Buffer.alloc(0), opts: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = opts.announce ?? data.length;
  const mask = opts.mask ?? true;
  const first = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opcode & 0x0f);
  let head: Buffer;
  if (length < 126) head = Buffer.from([first, (mask ? 0x80 : 0) | length]);
  else if (length < 65_536) {
    head = Buffer.alloc(4);
    head.writeUInt16BE(length, 2);
    head[1] = (mask ? 0x80 : 0) | 126;
  } else {
    head = Buffer.alloc(10);
    head.writeBigUInt64BE(BigInt(length), 2);
    head[1] = (mask ? 0x80 : 0) | 127;
  }
  head[0] = first;
  if (!mask) return Buffer.concat([head, data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! ^ key[i % 4]!;
  return Buffer.concat([head, key, masked]);
}

/** A close frame's payload: the code (2 bytes) and a reason. */
export const closePayload = (code: number, reason = '') => Buffer.concat([Buffer.from([(code >> 8) & 0xff, code & 0xff]), Buffer.from(reason)]);

export interface RawSocket {
  /** 101 after a handshake, else the HTTP status of the refusal (0: the server closed without answering). */
  status: number;
  /** The status line and headers as received. */
  head: string;
  /** The refusal's body (JSON for the API's refusals). */
  body: string;
  socket: Socket;
  /** Messages from the server (text as strings), in order. */
  messages: (string | Buffer)[];
  /** The code of the server's close frame, once one came. */
  closeCode(): number | null;
  /** Resolves when the TCP connection is gone. */
  ended: Promise<void>;
  write(bytes: Buffer): void;
}

/** Opens a connection and sends the upgrade request; resolves once the status line and headers (and, for a refusal, the body) arrived. */
export function rawUpgrade(port: number, target: string, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<RawSocket> {
  const socket = connect(port, '127.0.0.1');
  const base: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-version': '13',
  };
  const all = { ...base, ...headers };
  const head = `GET ${target} HTTP/1.1\r\n${Object.entries(all)
    .filter(([, v]) => v !== OMIT_HEADER)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  const messages: (string | Buffer)[] = [];
  let closeCode: number | null = null;
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let fragments: Buffer[] = [];
  let fragmentOp = 0;
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});

  /** Server frames are unmasked; takes every complete one off `buf`. */
  const parseFrames = () => {
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0]! & 0x80) !== 0;
      const op = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      buf = buf.subarray(off + len);
      if (op === OP.close) closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      else if (op === OP.text || op === OP.binary || op === OP.continuation) {
        if (op !== OP.continuation) fragmentOp = op;
        fragments.push(Buffer.from(payload));
        if (fin) {
          const whole = Buffer.concat(fragments);
          messages.push(fragmentOp === OP.text ? whole.toString('utf8') : whole);
          fragments = [];
        }
      }
    }
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no handshake answer within ${timeoutMs} ms for ${target.slice(0, 200)}`));
    }, timeoutMs);
    let headText: string | null = null;
    let status = 0;
    const result = (code: number, body: string): RawSocket => ({
      status: code,
      head: headText ?? '',
      body,
      socket,
      messages,
      closeCode: () => closeCode,
      ended,
      write: (bytes) => {
        if (!socket.destroyed && socket.writable) socket.write(bytes);
      },
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (headText === null) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        headText = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0);
        if (status === 101) {
          upgraded = true;
          clearTimeout(timer);
          resolve(result(101, ''));
        }
      }
      if (upgraded) parseFrames();
    });
    // A refusal: the body runs to the end of the connection (the server closes it).
    socket.once('end', () => {
      if (upgraded) return;
      clearTimeout(timer);
      resolve(result(status, buf.toString('utf8')));
      socket.destroy();
    });
    socket.once('close', () => {
      if (upgraded) return;
      clearTimeout(timer);
      resolve(result(status, buf.toString('utf8')));
    });
    socket.write(head);
  });
}
