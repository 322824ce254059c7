import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdmError } from '../../../nodes/lib/errors';
import { flowEnvironment } from '../../../nodes/lib/server/flow-environment';

const defaults = { mqttEmbeddedPort: 1884 };

describe('flowEnvironment', () => {
  it('points the flows at the embedded broker and database when no URL is set', () => {
    assert.deepEqual(flowEnvironment({}, defaults), {
      MQTT_HOST: '127.0.0.1', MQTT_PORT: '1884', MQTT_BROKER_URL: 'mqtt://127.0.0.1:1884',
      PG_MODE: 'embedded', PG_HOST: '', PG_PORT: '5432', PG_DATABASE: 'postgres', PG_SCHEMA: 'pdm',
      PLANT_OPCUA_PORT: '4840', PLANT_MODBUS_PORT: '5020', OPCUA_ENDPOINT: 'opc.tcp://127.0.0.1:4840',
    });
  });

  it('points OPC UA at the simulated plant\'s server, on its port, unless OPCUA_ENDPOINT names another', () => {
    assert.equal(flowEnvironment({ PLANT_OPCUA_PORT: '4999' }, defaults).OPCUA_ENDPOINT, 'opc.tcp://127.0.0.1:4999');
    assert.equal(flowEnvironment({ OPCUA_ENDPOINT: 'opc.tcp://plc-7:4840' }, defaults).OPCUA_ENDPOINT, undefined);
  });

  it('gives the simulated plant the broker the flows subscribe to', () => {
    assert.equal(flowEnvironment({ MQTT_HOST: 'edge', MQTT_PORT: '1999' }, defaults).MQTT_BROKER_URL, 'mqtt://edge:1999');
    assert.equal(flowEnvironment({ MQTT_URL: 'mqtt://u:p@broker.plant:1883' }, defaults).MQTT_BROKER_URL, 'mqtt://u:p@broker.plant:1883');
  });

  it('splits MQTT_URL and PG_URL into the fields the flows name, credentials into PGUSER and PGPASSWORD', () => {
    const env = flowEnvironment({ MQTT_URL: 'mqtt://broker.plant:1883', PG_URL: 'postgres://pdm%40site:s%3Acret@db.plant:6543/history' }, defaults);
    assert.deepEqual(env, {
      MQTT_HOST: 'broker.plant', MQTT_PORT: '1883', MQTT_BROKER_URL: 'mqtt://broker.plant:1883',
      PLANT_OPCUA_PORT: '4840', PLANT_MODBUS_PORT: '5020', OPCUA_ENDPOINT: 'opc.tcp://127.0.0.1:4840',
      PG_MODE: 'server', PG_HOST: 'db.plant', PG_PORT: '6543', PG_DATABASE: 'history', PG_SCHEMA: 'pdm',
      PGUSER: 'pdm@site', PGPASSWORD: 's:cret',
    });
  });

  it('uses the protocols\' default ports and database', () => {
    const env = flowEnvironment({ MQTT_URL: 'tcp://10.0.0.5', PG_URL: 'postgresql://10.0.0.6' }, defaults);
    assert.equal(env.MQTT_PORT, '1883');
    assert.equal(env.PG_PORT, '5432');
    assert.equal(env.PG_DATABASE, 'postgres');
    assert.equal(env.PGUSER, undefined);
  });

  it('keeps variables that are already set', () => {
    const env = flowEnvironment({ PG_SCHEMA: 'line2', MQTT_HOST: 'edge', PGPASSWORD: 'from-env', PG_URL: 'postgres://u:p@h/d' }, defaults);
    assert.equal(env.PG_SCHEMA, undefined);
    assert.equal(env.MQTT_HOST, undefined);
    assert.equal(env.PGPASSWORD, undefined);
    assert.equal(env.PGUSER, 'u');
  });

  it('rejects a URL that is not one, or of another protocol, without echoing its password', () => {
    assert.throws(() => flowEnvironment({ PG_URL: 'not a url' }, defaults), (err: unknown) => err instanceof PdmError && err.code === 'INVALID_CONFIG');
    assert.throws(() => flowEnvironment({ MQTT_URL: 'http://broker' }, defaults), /MQTT_URL must start with mqtt:\/\/ or tcp:\/\//);
    assert.throws(() => flowEnvironment({ PG_URL: 'postgres://u:secret@[bad' }, defaults), (err: Error) => !err.message.includes('secret'));
  });
});
