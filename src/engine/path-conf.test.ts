import { describe, expect, it } from 'vitest';
import { parseGoDuration, pathConfError, redactPathConf, samePathConf } from './path-conf.js';

describe('path configs', () => {
  it('parses Go durations, days included', () => {
    expect(parseGoDuration('10s')).toBe(10e9);
    expect(parseGoDuration('1m0s')).toBe(60e9);
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('1.5s')).toBe(1.5e9);
    expect(parseGoDuration('1d')).toBe(86_400e9);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('')).toBe(0); // conf.Duration reads an empty string as zero
    for (const bad of ['10', 's', '10 s', '1x', '-']) expect(parseGoDuration(bad), bad).toBeNull();
  });

  it('validates the supported subset and names the field', () => {
    expect(pathConfError('cam/a', { source: 'rtsp://u:p@h/x', sourceOnDemand: true, rtspTransport: 'tcp', sourceOnDemandStartTimeout: '10s' })).toBeNull();
    expect(pathConfError('out/a', { source: 'publisher', maxReaders: 2, overridePublisher: false, record: false })).toBeNull();
    // The on-demand notifier hook (4f): a publisher path's only; MediaMTX refuses it on a pull source.
    expect(pathConfError('out/a', { source: 'publisher', runOnDemand: "'/usr/bin/node' '/d/n.cjs' '/d/s.sock'", runOnDemandStartTimeout: '20s', runOnDemandCloseAfter: '10s' })).toBeNull();
    expect(pathConfError('cam/a', { source: 'rtsp://h/x', runOnDemand: 'sh -c x' })).toMatch(/^runOnDemand: /);
    expect(pathConfError('out/a', { source: 'publisher', runOnDemand: 'x', runOnDemandCloseAfter: '0s' })).toMatch(/^runOnDemandCloseAfter: /);
    expect(pathConfError('cam/a', { source: 'file:///etc/passwd' })).toMatch(/^source: /);
    // MediaMTX v1.20.1's pull schemes a camera uses (4j), and a TLS source's trusted certificate (4c).
    for (const source of ['rtmps://u:p@h/live/a', 'https://h/index.m3u8', 'srt://h:8890?streamid=read:a', 'wheps://h/a/whep', 'rtsps+ws://h/a'])
      expect(pathConfError('cam/a', { source, sourceOnDemand: true })).toBeNull();
    expect(pathConfError('cam/a', { source: 'udp+mpegts://238.0.0.1:1234' })).toMatch(/^source: /);
    expect(pathConfError('cam/a', { source: 'rtsps://h/x', sourceFingerprint: 'ab'.repeat(32) })).toBeNull();
    expect(pathConfError('cam/a', { source: 'rtsps://h/x', sourceFingerprint: 'AB'.repeat(32) })).toMatch(/^sourceFingerprint: /);
    expect(pathConfError('cam/a', { source: 'rtsp://h/x', rtspTransport: 'http' })).toMatch(/^rtspTransport: /);
    expect(pathConfError('cam/a', { source: 'rtsp://h/x', sourceOnDemandCloseAfter: '10' })).toMatch(/^sourceOnDemandCloseAfter: /);
    expect(pathConfError('out/a', { source: 'publisher', sourceOnDemand: true })).toMatch(/useless/);
    expect(pathConfError('/a', { source: 'publisher' })).toMatch(/invalid path name/);
  });

  it('compares only the keys we set, durations by value', () => {
    const reported = { name: 'cam/a', source: 'rtsp://h/x', sourceOnDemand: true, sourceOnDemandCloseAfter: '1m0s', rtspTransport: 'tcp', maxReaders: 0, record: false };
    expect(samePathConf({ source: 'rtsp://h/x', sourceOnDemand: true, sourceOnDemandCloseAfter: '60s' }, reported)).toBe(true);
    expect(samePathConf({ source: 'rtsp://h/x', sourceOnDemand: true, sourceOnDemandCloseAfter: '61s' }, reported)).toBe(false);
    expect(samePathConf({ source: 'rtsp://h/y' }, reported)).toBe(false);
    expect(samePathConf({ source: 'rtsp://h/x', overridePublisher: true }, reported)).toBe(false);
  });

  it('redacts pull URL credentials for logs', () => {
    expect(redactPathConf({ source: 'rtsp://admin:s3cret@10.0.0.2:554/x', sourceOnDemand: true })).toEqual({ source: 'rtsp://[redacted]@10.0.0.2:554/x', sourceOnDemand: true });
  });
});
