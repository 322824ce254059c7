import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttributeIds, BrowseDirection, OPCUAClient, StatusCodes, TimestampsToReturn, type ClientSession } from 'node-opcua';
import { qualityStatusCode, sensorNodeId, startPlantOpcuaServer, type PlantOpcuaServer } from '../../../nodes/lib/sim/opcua-server';
import { freePort, SERVER_PKI, TEST_ASSETS } from '../protocols/opcua-fixture';

describe('plant OPC UA server', () => {
  let server: PlantOpcuaServer;
  let client: OPCUAClient;
  let session: ClientSession;

  before(async () => {
    server = await startPlantOpcuaServer(TEST_ASSETS, {
      port: await freePort(), host: '127.0.0.1', pkiDir: SERVER_PKI, allowAnonymous: true, users: [], securityModes: ['None'],
    });
    client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    await client.connect(server.endpointUrl);
    session = await client.createSession();
  });

  after(async () => {
    await session?.close();
    await client?.disconnect();
    await server?.stop();
  });

  it('serves its endpoint on the given host and port', () => {
    assert.match(server.endpointUrl, /^opc\.tcp:\/\/127\.0\.0\.1:\d+/);
  });

  it('has one folder per asset under Objects/Plant and one variable per sensor', async () => {
    const plant = await session.browse({ nodeId: 'ns=1;s=Plant', browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true, resultMask: 63 });
    assert.deepEqual(plant.references?.map((r) => r.browseName.name).sort(), ['motor-1', 'pump-1']);
    const pump = await session.browse({ nodeId: 'ns=1;s=pump-1', browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true, resultMask: 63 });
    const names = pump.references?.map((r) => r.browseName.name);
    assert.ok(names?.includes('vibration') && names.includes('temperature'), String(names));
    assert.equal(pump.references?.find((r) => r.browseName.name === 'vibration')?.nodeId.toString(), sensorNodeId('pump-1', 'vibration'));
  });

  it('reports no value before the first reading', async () => {
    const value = await session.read({ nodeId: sensorNodeId('motor-1', 'current'), attributeId: AttributeIds.Value });
    assert.equal(value.statusCode.value, StatusCodes.BadWaitingForInitialData.value);
  });

  it('sets the value with the reading time as source timestamp and quality as status code', async () => {
    const ts = Date.UTC(2026, 0, 1, 12);
    server.update([
      { asset: 'pump-1', sensor: 'vibration', value: 4.25, ts, unit: 'mm/s' },
      { asset: 'pump-1', sensor: 'temperature', value: 61, ts: ts + 1, quality: 'bad' },
      { asset: 'unknown', sensor: 'x', value: 1, ts },
    ]);
    const [vib, temp] = await session.read([
      { nodeId: sensorNodeId('pump-1', 'vibration'), attributeId: AttributeIds.Value },
      { nodeId: sensorNodeId('pump-1', 'temperature'), attributeId: AttributeIds.Value },
    ]);
    assert.equal(vib.value.value, 4.25);
    assert.equal(vib.sourceTimestamp?.getTime(), ts);
    assert.equal(vib.statusCode.value, StatusCodes.Good.value);
    assert.equal(temp.value.value, 61);
    assert.equal(temp.statusCode.value, StatusCodes.BadSensorFailure.value);
  });

  it('publishes the engineering unit of each sensor', async () => {
    const result = await session.translateBrowsePath({
      startingNode: sensorNodeId('pump-1', 'vibration'),
      relativePath: { elements: [{ referenceTypeId: 'i=46', isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EngineeringUnits' } }] },
    });
    const target = result.targets?.[0]?.targetId;
    assert.ok(target, 'EngineeringUnits property');
    const eu = await session.read({ nodeId: target, attributeId: AttributeIds.Value });
    assert.equal((eu.value.value as { displayName: { text: string } }).displayName.text, 'mm/s');
  });

  it('maps qualities to status codes', () => {
    assert.equal(qualityStatusCode(undefined), StatusCodes.Good);
    assert.equal(qualityStatusCode('good'), StatusCodes.Good);
    assert.equal(qualityStatusCode('uncertain'), StatusCodes.UncertainLastUsableValue);
    assert.equal(qualityStatusCode('bad'), StatusCodes.BadSensorFailure);
  });

  it('delivers every change to an item sampled at 0 ms, however close together', async () => {
    const subscription = await session.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true });
    try {
      const item = await subscription.monitor(
        { nodeId: sensorNodeId('motor-1', 'current'), attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 100, discardOldest: false },
        TimestampsToReturn.Both,
      );
      assert.equal(item.monitoringParameters.samplingInterval, 0);
      const seen: number[] = [];
      item.on('changed', (dataValue) => seen.push(dataValue.value.value as number));
      const ts = Date.UTC(2026, 0, 1);
      for (let i = 1; i <= 5; i++) server.update([{ asset: 'motor-1', sensor: 'current', value: i, ts: ts + i }]);
      const deadline = Date.now() + 20_000;
      while (!seen.includes(5) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(seen.filter((v) => v >= 1), [1, 2, 3, 4, 5]);
    } finally {
      await subscription.terminate();
    }
  });

  it('refuses a configuration nobody could log in to', async () => {
    await assert.rejects(
      startPlantOpcuaServer(TEST_ASSETS, { port: 1, pkiDir: SERVER_PKI, allowAnonymous: false, users: [], securityModes: ['None'] }),
      /no user/,
    );
  });
});
