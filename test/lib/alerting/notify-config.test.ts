import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import webpush from 'web-push';
import { notifySettings, type NotifyConfig, type NotifyCredentials } from '../../../nodes/lib/alerting/notify-config';

const env = { localUrl: (path: string) => `http://127.0.0.1:1880${path}` };
const email: NotifyConfig = { channel: 'email', from: 'pdm@plant.example', to: 'ops@plant.example' };

function reason(config: NotifyConfig, cred: NotifyCredentials = {}): string {
  try {
    void notifySettings(config, cred, env).channel.close();
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

describe('notify configuration', () => {
  it('accepts a complete configuration of each channel with defaults for the policy', async () => {
    const keys = webpush.generateVAPIDKeys();
    const configs: Array<[NotifyConfig, NotifyCredentials]> = [
      [email, {}],
      [{ channel: 'webhook', webhookKind: 'slack', webhookUrl: 'https://hooks.example/T1' }, {}],
      [{ channel: 'webhook', webhookKind: 'sms', webhookUrl: '/sms', smsTo: '+4917012345' }, { user: 'u', password: 'p' }],
      [{ channel: 'ntfy', ntfyUrl: 'https://ntfy.example', ntfyTopic: 'plant-alerts' }, { token: 't' }],
      [{ channel: 'webpush', vapidSubject: 'mailto:ops@plant.example' }, { vapidPublicKey: keys.publicKey, vapidPrivateKey: keys.privateKey }],
    ];
    for (const [config, cred] of configs) {
      const s = notifySettings(config, cred, env);
      assert.deepEqual(s.retry, { attempts: 4, baseDelayMs: 2000, maxDelayMs: 60_000 });
      assert.equal(s.rate, undefined);
      await s.channel.close();
    }
  });

  it('resolves recipients from the configuration or the message', async () => {
    const s = notifySettings({ ...email, to: 'a@x.example; b@x.example' }, {}, env);
    assert.deepEqual(s.recipients(undefined, undefined), [{ label: 'a@x.example, b@x.example' }]);
    assert.deepEqual(s.recipients(['Jane <j@x.example>'], undefined), [{ label: 'Jane <j@x.example>' }]);
    assert.throws(() => s.recipients('not-an-address', undefined), /msg.to: "not-an-address" is not an e-mail address/);
    await s.channel.close();
  });

  it('takes a ${VAR} field whose variable is not set as empty', async () => {
    const s = notifySettings({ ...email, smtpHost: '${SMTP_HOST}', smtpPort: '${SMTP_PORT}' }, {}, env);
    await s.channel.close();
    assert.equal(reason({ channel: 'webhook', webhookKind: 'slack', webhookUrl: '${SLACK_URL}' }), 'URL is required');
  });

  it('turns the rate per minute into a token bucket', async () => {
    const s = notifySettings({ ...email, ratePerMinute: 120, rateBurst: 5 }, {}, env);
    assert.deepEqual(s.rate, { perSecond: 2, burst: 5 });
    await s.channel.close();
  });

  it('rejects invalid configurations with the reason', () => {
    const keys = webpush.generateVAPIDKeys();
    assert.equal(reason({ channel: 'fax' }), 'Channel must be one of email, webhook, ntfy, webpush, got "fax"');
    assert.equal(reason({ ...email, to: '' }), 'To needs at least one e-mail address');
    assert.equal(reason({ ...email, to: 'ops' }), 'To: "ops" is not an e-mail address');
    assert.equal(reason({ ...email, from: '' }), 'From needs one e-mail address');
    assert.equal(reason({ ...email, smtpPort: 70000 }), 'Port must be a number from 1 to 65535, got "70000"');
    assert.equal(reason({ ...email, smtpConnections: 0 }), 'Connections must be a number from 1 to 50, got "0"');
    assert.equal(reason({ ...email, attempts: 0 }), 'Attempts must be a number from 1 to 20, got "0"');
    assert.equal(reason({ ...email, attempts: 2.5 }), 'Attempts must be a whole number, got "2.5"');
    assert.equal(reason({ ...email, retryDelay: 10, retryMaxDelay: 5 }), 'Longest retry delay must not be shorter than the first');
    assert.equal(reason({ ...email, title: '{{#alerts}}' }), 'Subject: template: section "{{#alerts}}" at 0 is never closed');
    assert.equal(reason({ channel: 'webhook', webhookKind: 'slack' }), 'URL is required');
    assert.equal(reason({ channel: 'webhook', webhookKind: 'slack', webhookUrl: 'ftp://x' }), 'URL must be an http or https URL, got ftp:');
    assert.equal(reason({ channel: 'webhook', webhookKind: 'slack', webhookUrl: 'hooks' }), 'URL is not a URL: "hooks"');
    assert.equal(reason({ channel: 'webhook', webhookKind: 'pager', webhookUrl: 'http://x' }), 'Format must be one of slack, teams, sms, json, got "pager"');
    assert.equal(reason({ channel: 'webhook', webhookKind: 'sms', webhookUrl: 'http://x' }), 'Phone number is required for an SMS gateway');
    assert.equal(reason({ channel: 'ntfy', ntfyUrl: 'https://ntfy.sh', ntfyTopic: 'a b' }), 'Topic must be 1 to 64 letters, digits, "-" or "_", got "a b"');
    assert.equal(reason({ channel: 'webpush', vapidSubject: 'ops' }), 'VAPID subject must be a mailto: or https: URL, got "ops"');
    assert.match(reason({ channel: 'webpush', vapidSubject: 'mailto:a@b.example' }), /VAPID public key is required/);
    assert.equal(
      reason({ channel: 'webpush', vapidSubject: 'mailto:a@b.example' }, { vapidPublicKey: keys.publicKey, vapidPrivateKey: 'abc' }),
      'VAPID private key must be 32 bytes in URL-safe base64',
    );
    assert.equal(
      reason({ channel: 'webpush', vapidSubject: 'mailto:a@b.example', subscriptions: '[{"endpoint":"x"}]' }, { vapidPublicKey: keys.publicKey, vapidPrivateKey: keys.privateKey }),
      'Subscriptions[0] must be a push subscription {endpoint, keys: {p256dh, auth}}',
    );
    assert.match(reason({ channel: 'webpush', vapidSubject: 'mailto:a@b.example', subscriptions: '[' }, { vapidPublicKey: keys.publicKey, vapidPrivateKey: keys.privateKey }), /^Subscriptions is not JSON/);
  });
});
