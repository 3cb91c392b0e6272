import { describe, expect, it } from 'vitest';
import { serviceState } from './service.js';

describe('serviceState', () => {
  it.each([
    ['running', 4242, true, 'running'],
    ['running', 4242, false, 'starting'],
    ['running', null, true, 'starting'],
    ['starting', 4242, false, 'starting'],
    ['backoff', null, false, 'crashed'],
    ['failed', null, false, 'failed'],
    ['stopping', 4242, true, 'stopped'],
    ['stopped', null, false, 'stopped'],
  ] as const)('%s (pid %s, api answered %s) -> %s', (child, pid, ready, expected) => {
    expect(serviceState(child, pid, ready)).toBe(expected);
  });
});
