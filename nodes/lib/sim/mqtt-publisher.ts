/**
 * Publishes the simulated plant's readings as JSON over MQTT, to a configured broker or, when
 * none is given, to an aedes broker started in this process. The client reconnects on its own;
 * readings produced while it is disconnected are dropped and counted (a simulator is not a
 * store-and-forward gateway).
 *
 * Formats (both are shapes data-quality reads):
 *   reading    `<prefix>/<asset>/<sensor>`, {"asset","sensor","value","ts","unit"} (one message per reading)
 *   telemetry  `<prefix>/<asset>/telemetry`, {"device_id","timestamp", <sensor>: value, …} (one per asset and time)
 */
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import type { Reading } from '../reading';

export type MqttFormat = 'reading' | 'telemetry';
export const MQTT_FORMATS: readonly MqttFormat[] = ['reading', 'telemetry'];

export interface MqttPublisherOptions {
  /** Broker URL (mqtt://host:port); absent or empty: an embedded broker. */
  url?: string;
  /** Where the embedded broker listens (default 127.0.0.1:1885). */
  embeddedHost?: string;
  embeddedPort?: number;
  prefix: string;
  format: MqttFormat;
  qos: 0 | 1;
  username?: string;
  password?: string;
  /** Connection changes: `connected`, `reconnecting`, `offline` (with the error when there is one). */
  onState?: (state: 'connected' | 'reconnecting' | 'offline', err?: Error) => void;
}

export interface MqttPublisherStats {
  connected: boolean;
  published: number;
  dropped: number;
}

export interface MqttPublisher {
  /** The broker the readings go to. */
  url: string;
  embedded: boolean;
  publish(readings: readonly Reading[]): void;
  stats(): MqttPublisherStats;
  stop(): Promise<void>;
}

export interface MqttMessage {
  topic: string;
  payload: string;
}

export const DEFAULT_EMBEDDED_PORT = 1885;

/** Topic levels may not hold wildcards; they become '_'. */
function level(name: string): string {
  return name.replace(/[+#\0]/g, '_');
}

/** `prefix` without leading or trailing slashes; empty means no prefix. */
function joinTopic(prefix: string, ...levels: string[]): string {
  const head = prefix.replace(/^\/+|\/+$/g, '');
  const tail = levels.map(level).join('/');
  return head === '' ? tail : `${level(head)}/${tail}`;
}

export function mqttMessages(readings: readonly Reading[], prefix: string, format: MqttFormat): MqttMessage[] {
  if (format === 'reading') {
    return readings.map((r) => {
      const body: Reading = { asset: r.asset, sensor: r.sensor, value: r.value, ts: r.ts };
      if (r.unit !== undefined) body.unit = r.unit;
      if (r.quality !== undefined) body.quality = r.quality;
      return { topic: joinTopic(prefix, r.asset, r.sensor), payload: JSON.stringify(body) };
    });
  }
  const groups = new Map<string, Record<string, string | number>>();
  for (const r of readings) {
    const key = `${r.asset}\0${r.ts}`;
    let group = groups.get(key);
    if (!group) {
      group = { device_id: r.asset, timestamp: r.ts };
      groups.set(key, group);
    }
    group[r.sensor] = r.value;
  }
  return [...groups.values()].map((body) => ({ topic: joinTopic(prefix, String(body.device_id), 'telemetry'), payload: JSON.stringify(body) }));
}

interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const bound = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        });
      }),
  };
}

export async function startMqttPublisher(options: MqttPublisherOptions): Promise<MqttPublisher> {
  const embedded = options.url === undefined || options.url === ''
    ? await startEmbeddedBroker(options.embeddedHost ?? '127.0.0.1', options.embeddedPort ?? DEFAULT_EMBEDDED_PORT)
    : undefined;
  const url = embedded?.url ?? (options.url as string);
  const stats: MqttPublisherStats = { connected: false, published: 0, dropped: 0 };
  let client: MqttClient;
  try {
    client = mqtt.connect(url, {
      clientId: `plant-sim-${Math.random().toString(16).slice(2, 10)}`,
      username: options.username || undefined,
      password: options.password || undefined,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      queueQoSZero: false,
    });
  } catch (err) {
    await embedded?.close();
    throw err;
  }
  client.on('connect', () => {
    stats.connected = true;
    options.onState?.('connected');
  });
  client.on('reconnect', () => options.onState?.('reconnecting'));
  client.on('close', () => {
    if (!stats.connected) return;
    stats.connected = false;
    options.onState?.('offline');
  });
  client.on('error', (err) => options.onState?.('offline', err));
  let stopping: Promise<void> | undefined;

  return {
    url,
    embedded: embedded !== undefined,
    publish(readings) {
      const messages = mqttMessages(readings, options.prefix, options.format);
      if (!client.connected || stopping) {
        stats.dropped += messages.length;
        return;
      }
      for (const m of messages) {
        client.publish(m.topic, m.payload, { qos: options.qos }, (err) => {
          if (err) stats.dropped++;
          else stats.published++;
        });
      }
    },
    stats: () => ({ ...stats }),
    stop() {
      stopping ??= (async () => {
        // Forced: a stop must not wait for acknowledgements from a broker that may be gone.
        await client.endAsync(true);
        await embedded?.close();
      })();
      return stopping;
    },
  };
}
