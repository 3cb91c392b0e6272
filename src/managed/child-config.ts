export type ChildLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The server's pino level mapped onto the four levels MediaMTX and go2rtc both have. Never the
 * children's own `trace` (go2rtc's logs every WebSocket message).
 */
export function childLogLevel(level: string): ChildLogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
      return 'warn';
    default:
      return 'error';
  }
}
