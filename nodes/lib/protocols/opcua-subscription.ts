/**
 * One subscription of opcua-in: resolves the configured items on the server (browse paths,
 * names and units where the table leaves them empty), monitors them in batches and hands the
 * values on as reading results, one batch per event-loop turn. It is set up again whenever the
 * connection brings a new session; node-opcua itself repairs it across reconnections.
 */
import { EventEmitter } from 'node:events';
import {
  AttributeIds,
  BrowseDirection,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType as UaDeadbandType,
  TimestampsToReturn,
  type BrowsePathResult,
  type ClientSubscription,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type DataValue,
} from 'node-opcua';
import { describeError } from '../errors';
import type { ReadingResult } from '../reading';
import type { Clock } from '../status';
import type { SubscriptionOptions } from './opcua-config';
import { withTimeout, type OpcuaConnection } from './opcua-client';
import { describeOpcuaError } from './opcua-errors';
import { assertDistinct, dataValueToReading, needsFacts, resolveItem, type NodeFacts, type OpcuaItemSpec, type ResolvedItem } from './opcua-mapping';

export interface OpcuaSubscriptionEvents {
  /** Monitoring runs for `items`; `failures` names every item that could not be monitored. */
  ready: [items: ResolvedItem[], failures: string[]];
  values: [results: ReadingResult[]];
  failed: [reason: string];
}

/** Items per service call, well under the usual server limits per request. */
const BATCH_SIZE = 500;
const OBJECTS_FOLDER = 'i=85';
const HAS_PROPERTY = 'i=46';
const HIERARCHICAL = 'i=33';
const RETRY_MS = 2000;
/** A server that does not confirm the end of a subscription must not hold up a redeploy. */
const CLOSE_MS = 3000;

export class OpcuaSubscription extends EventEmitter<OpcuaSubscriptionEvents> {
  private generation = 0;
  private subscription: ClientSubscription | undefined;
  private pending: ReadingResult[] = [];
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onSession = (session: ClientSession): void => {
    void this.setup(session);
  };

  constructor(
    private readonly connection: OpcuaConnection,
    private readonly specs: OpcuaItemSpec[],
    private readonly options: SubscriptionOptions,
    private readonly now: Clock,
  ) {
    super();
  }

  start(): void {
    this.connection.on('session', this.onSession);
    const session = this.connection.session;
    if (session) void this.setup(session);
    this.connection.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.connection.off('session', this.onSession);
    const subscription = this.subscription;
    this.subscription = undefined;
    this.pending = [];
    if (subscription && this.connection.session) {
      await withTimeout(subscription.terminate(), CLOSE_MS, () => 'terminate timed out').catch(() => undefined);
    }
    this.removeAllListeners();
  }

  private async setup(session: ClientSession): Promise<void> {
    const generation = ++this.generation;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const previous = this.subscription;
    this.subscription = undefined;
    previous?.removeAllListeners();
    try {
      const { items, failures } = await resolveItems(session, this.specs);
      if (generation !== this.generation) return;
      if (items.length === 0) throw new Error(`no item could be resolved: ${failures[0]}`);
      assertDistinct(items);
      // createSubscription2 resolves once the server has created it and keeps an 'error' listener on it.
      const subscription = await session.createSubscription2({
        requestedPublishingInterval: this.options.publishingIntervalMs,
        requestedLifetimeCount: 100,
        requestedMaxKeepAliveCount: 10,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 10,
      });
      if (generation !== this.generation) {
        await subscription.terminate().catch(() => undefined);
        return;
      }
      this.subscription = subscription;
      subscription.on('terminated', () => {
        if (generation === this.generation && !this.closed) this.retry(session, 'the server ended the subscription');
      });
      const monitored = await this.monitor(subscription, items, generation);
      if (generation !== this.generation) return;
      this.emit('ready', monitored.items, [...failures, ...monitored.failures]);
    } catch (err) {
      if (generation === this.generation && !this.closed) this.retry(session, describeOpcuaError(err));
    }
  }

  /** Reports the failure and tries again on the same session while it lasts. */
  private retry(session: ClientSession, reason: string): void {
    this.emit('failed', reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.connection.session === session) void this.setup(session);
    }, RETRY_MS);
  }

  private async monitor(subscription: ClientSubscription, items: ResolvedItem[], generation: number): Promise<{ items: ResolvedItem[]; failures: string[] }> {
    const parameters = {
      samplingInterval: this.options.samplingIntervalMs,
      queueSize: this.options.queueSize,
      discardOldest: true,
      filter: dataChangeFilter(this.options.deadband),
    };
    const live: ResolvedItem[] = [];
    const failures: string[] = [];
    for (let offset = 0; offset < items.length; offset += BATCH_SIZE) {
      const batch = items.slice(offset, offset + BATCH_SIZE);
      const group: ClientMonitoredItemGroup = await subscription.monitorItems(
        batch.map((item) => ({ nodeId: item.nodeId, attributeId: AttributeIds.Value })),
        parameters,
        TimestampsToReturn.Both,
      );
      if (generation !== this.generation) return { items: live, failures };
      group.monitoredItems.forEach((mi, i) => {
        if (mi.statusCode.isGood()) live.push(batch[i]);
        else failures.push(`${batch[i].nodeId}: ${mi.statusCode.name}`);
      });
      group.on('changed', (_mi, dataValue: DataValue, index: number) => {
        if (generation === this.generation) this.push(batch[index], dataValue);
      });
    }
    return { items: live, failures };
  }

  private push(item: ResolvedItem, dataValue: DataValue): void {
    this.pending.push(dataValueToReading(item, dataValue, this.now));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length > 0 && !this.closed) this.emit('values', batch);
    });
  }
}

function dataChangeFilter(deadband: SubscriptionOptions['deadband']): DataChangeFilter | null {
  if (deadband.type === 'none') return null;
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: deadband.type === 'absolute' ? UaDeadbandType.Absolute : UaDeadbandType.Percent,
    deadbandValue: deadband.value,
  });
}

/** Finds the NodeId, names and unit of every item, in batched service calls. */
async function resolveItems(session: ClientSession, specs: OpcuaItemSpec[]): Promise<{ items: ResolvedItem[]; failures: string[] }> {
  const failures: string[] = [];
  const nodeIds = await resolveNodeIds(session, specs, failures);
  const wanted = specs.map((spec, i) => (nodeIds[i] !== undefined && needsFacts(spec) ? i : -1)).filter((i) => i >= 0);
  const facts = new Map<number, NodeFacts>();
  for (const group of chunks(wanted)) {
    const names = await session.read(group.map((i) => ({ nodeId: nodeIds[i] as string, attributeId: AttributeIds.BrowseName })));
    const parents = await session.browse(group.map((i) => ({
      nodeId: nodeIds[i] as string, browseDirection: BrowseDirection.Inverse, referenceTypeId: HIERARCHICAL, includeSubtypes: true, resultMask: 63,
    })));
    const units = await readUnits(session, group.map((i) => nodeIds[i] as string));
    group.forEach((specIndex, k) => {
      if (!names[k].statusCode.isGood()) {
        failures.push(`${specs[specIndex].label}: ${names[k].statusCode.name}`);
        nodeIds[specIndex] = undefined;
        return;
      }
      facts.set(specIndex, {
        nodeId: nodeIds[specIndex] as string,
        browseName: (names[k].value.value as { name?: string } | null)?.name ?? undefined,
        parentBrowseName: parents[k].references?.[0]?.browseName.name ?? undefined,
        unit: units[k],
      });
    });
  }
  const items: ResolvedItem[] = [];
  specs.forEach((spec, i) => {
    const nodeId = nodeIds[i];
    if (nodeId === undefined) return;
    try {
      items.push(resolveItem(spec, facts.get(i) ?? { nodeId }));
    } catch (err) {
      failures.push(describeError(err));
    }
  });
  return { items, failures };
}

async function resolveNodeIds(session: ClientSession, specs: OpcuaItemSpec[], failures: string[]): Promise<(string | undefined)[]> {
  const nodeIds = specs.map((s) => (s.target.kind === 'nodeId' ? s.target.nodeId : undefined));
  const paths = specs.map((s, i) => (s.target.kind === 'path' ? i : -1)).filter((i) => i >= 0);
  for (const group of chunks(paths)) {
    const results: BrowsePathResult[] = await session.translateBrowsePath(group.map((i) => {
      const target = specs[i].target;
      const segments = target.kind === 'path' ? target.segments : [];
      return {
        startingNode: OBJECTS_FOLDER,
        relativePath: { elements: segments.map((s) => ({ referenceTypeId: HIERARCHICAL, isInverse: false, includeSubtypes: true, targetName: s })) },
      };
    }));
    group.forEach((specIndex, k) => {
      const target = results[k].targets?.[0]?.targetId;
      if (results[k].statusCode.isGood() && target) nodeIds[specIndex] = target.toString();
      else failures.push(`${specs[specIndex].label}: ${results[k].statusCode.name}`);
    });
  }
  return nodeIds;
}

/** The display name of each node's EngineeringUnits property, where it has one. */
async function readUnits(session: ClientSession, nodeIds: string[]): Promise<(string | undefined)[]> {
  const found = await session.translateBrowsePath(nodeIds.map((nodeId) => ({
    startingNode: nodeId,
    relativePath: { elements: [{ referenceTypeId: HAS_PROPERTY, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EngineeringUnits' } }] },
  })));
  const targets = found.map((r) => (r.statusCode.isGood() ? r.targets?.[0]?.targetId : undefined));
  const toRead = targets.flatMap((t, i) => (t ? [i] : []));
  const units: (string | undefined)[] = nodeIds.map(() => undefined);
  if (toRead.length === 0) return units;
  const values = await session.read(toRead.map((i) => ({ nodeId: targets[i] as NonNullable<(typeof targets)[number]>, attributeId: AttributeIds.Value })));
  toRead.forEach((i, k) => {
    const eu = values[k].value.value as { displayName?: { text?: string | null } } | null;
    units[i] = eu?.displayName?.text ?? undefined;
  });
  return units;
}

function chunks(indexes: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < indexes.length; i += BATCH_SIZE) out.push(indexes.slice(i, i + BATCH_SIZE));
  return out;
}
