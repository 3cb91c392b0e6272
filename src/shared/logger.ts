import { pino, type Logger, type LoggerOptions } from 'pino';

/** Fields that may carry secrets anywhere in a log object. */
const REDACT_PATHS = ['password', '*.password', '*.*.password', 'api_token', '*.api_token', 'token', '*.token', 'authorization', '*.authorization', '*.headers.authorization', '*.headers.cookie'];

export function createLogger(level: LoggerOptions['level'], destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = { level, base: { name: 'toposync-streaming' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

/** Removes `user:password@` from URLs inside a free-text line (FFmpeg and engine output quote them). */
export function redactUrls(line: string): string {
  return line.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1[redacted]@');
}

/**
 * Removes the value of an `Authorization:` (or `Proxy-Authorization:`) header inside a free-text line,
 * to the end of the line: MediaMTX at debug level dumps the RTSP requests it sends a camera, and Basic
 * credentials are only base64.
 */
export function redactAuthorization(line: string): string {
  return line.replace(/\b((?:proxy-)?authorization\s*:\s*)\S.*$/i, '$1[redacted]');
}
