/**
 * The MQTT broker for integration tests: the one MQTT_URL names (CI's Mosquitto), otherwise
 * an aedes broker started in this process on a free loopback port.
 */
import net from 'node:net';

export interface TestBroker {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const configured = process.env.MQTT_URL;
  if (configured) {
    const parsed = new URL(configured);
    const port = Number(parsed.port || 1883);
    return { url: configured, host: parsed.hostname, port, close: async () => undefined };
  }
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
