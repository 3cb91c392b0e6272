import { describe, expect, it } from 'vitest';
import { configFromEnv } from './env.js';

describe('TOPOSYNC_STREAMING_ALLOWED_HOSTS', () => {
  it('is a comma list, with the listen host when it is a name', () => {
    expect(configFromEnv({}).allowedHosts).toEqual(['127.0.0.1']);
    expect(configFromEnv({ TOPOSYNC_STREAMING_HOST: 'nas.lan', TOPOSYNC_STREAMING_ALLOWED_HOSTS: ' cams.example , ,192.168.1.10' }).allowedHosts).toEqual(['nas.lan', 'cams.example', '192.168.1.10']);
  });

  it.each(['http://cams.example', 'cams.example:8100', '*.example'])('names the variable for %j', (entry) => {
    expect(() => configFromEnv({ TOPOSYNC_STREAMING_ALLOWED_HOSTS: `ok.example,${entry}` })).toThrow(/^TOPOSYNC_STREAMING_ALLOWED_HOSTS must be a comma-separated list of host names/);
  });
});

describe('TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET', () => {
  it('is unset by default (the multicast group) and an IPv4 address and port when given', () => {
    expect(configFromEnv({}).onvifDiscoveryTarget).toBeUndefined();
    expect(configFromEnv({ TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET: '127.0.0.1:3702' }).onvifDiscoveryTarget).toEqual({ address: '127.0.0.1', port: 3702 });
  });

  it.each(['127.0.0.1', 'camera.lan:3702', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:3702', '127.0.0.1:3702:1'])('names the variable for %j', (value) => {
    expect(() => configFromEnv({ TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET: value })).toThrow(/^TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET must be an IPv4 address and a port/);
  });
});
