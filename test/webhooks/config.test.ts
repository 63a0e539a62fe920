import { describe, expect, it } from 'vitest';
import { loadWebhookConfig } from '../../src/webhooks/config.ts';

const SECRET = 'a-secret-of-enough-length';

describe('loadWebhookConfig', () => {
  it('has loopback defaults', () => {
    const config = loadWebhookConfig({ WEBHOOK_SECRET: SECRET });
    expect(config).toEqual({
      port: 8787,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8787',
      secrets: { current: SECRET },
      secretGenerated: false,
    });
  });

  it('reads rotation, shared token, port and public URL', () => {
    const config = loadWebhookConfig({
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_PREVIOUS_SECRET: 'the-previous-secret-value',
      WEBHOOK_SHARED_TOKEN: 'a-shared-console-token',
      WEBHOOK_PORT: '9000',
      WEBHOOK_HOST: '0.0.0.0',
      WEBHOOK_PUBLIC_URL: 'https://hooks.example.com/',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      publicUrl: 'https://hooks.example.com',
      secrets: { current: SECRET, previous: 'the-previous-secret-value' },
      sharedToken: 'a-shared-console-token',
    });
  });

  it('generates a secret outside production only', () => {
    const generated = loadWebhookConfig({});
    expect(generated.secretGenerated).toBe(true);
    expect(generated.secrets.current.length).toBeGreaterThanOrEqual(32);
    expect(() => loadWebhookConfig({ NODE_ENV: 'production' })).toThrow(/WEBHOOK_SECRET is required/);
    expect(() => loadWebhookConfig({}, { allowGeneratedSecret: false })).toThrow(/WEBHOOK_SECRET/);
  });

  it('rejects bad values without echoing secrets', () => {
    expect(() => loadWebhookConfig({ WEBHOOK_SECRET: SECRET, WEBHOOK_PORT: '70000' })).toThrow(/WEBHOOK_PORT/);
    expect(() => loadWebhookConfig({ WEBHOOK_SECRET: SECRET, WEBHOOK_PUBLIC_URL: 'ftp://x' })).toThrow(/http/);
    expect(() => loadWebhookConfig({ WEBHOOK_SECRET: 'sh0rt' })).toThrow(
      /^WEBHOOK_SECRET must be at least 16 characters$/,
    );
  });
});
