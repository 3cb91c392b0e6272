import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { canariesIn, descendants, sweepProcesses } from './process-table.js';
import { waitFor } from '../support/wait.js';

describe('process-table sweep (the secrets tests rely on it finding what is there)', () => {
  it('finds a canary in base64 at every alignment, raw and URL-encoded; nothing in unrelated text', () => {
    const canary = 'pässword-CANARY';
    for (const pre of ['', 'a', 'ab', 'alice:']) {
      for (const post of ['', 'z', 'zz']) {
        const b64 = Buffer.from(pre + canary + post).toString('base64');
        expect(canariesIn(b64, [canary])).toEqual([canary]);
        expect(canariesIn(b64.replaceAll('+', '-').replaceAll('/', '_'), [canary])).toEqual([canary]);
      }
    }
    expect(canariesIn(`rtsp://u:${encodeURIComponent(canary)}@h/x`, [canary])).toEqual([canary]);
    expect(canariesIn(Buffer.from('other text entirely').toString('base64'), [canary])).toEqual([]);
  });

  it('reads argv and environment of grandchildren', async () => {
    // sh -> sh -> sleep: the inner shell is a grandchild, with the canary in its argv and its environment.
    const child = spawn('/bin/sh', ['-c', "sh -c 'sleep 30; : CANARY-ARGV' & wait"], { env: { PATH: process.env.PATH ?? '', X: 'CANARY-ENV' }, stdio: 'ignore' });
    try {
      const sweep = await waitFor(
        'both shells in the sweep',
        () => {
          const found = sweepProcesses(['CANARY-ARGV', 'CANARY-ENV']);
          return found.findings.length >= 4 && found;
        },
        30_000,
        { intervalMs: 10 },
      );
      expect(descendants()).toContain(child.pid);
      // Both shells: argv and environment.
      expect(sweep.findings.filter((f) => f.includes('CANARY-ARGV')).length).toBe(2);
      expect(sweep.findings.filter((f) => f.includes('CANARY-ENV')).length).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
