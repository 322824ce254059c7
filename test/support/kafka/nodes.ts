/**
 * What the kafka node tests share: the three nodes as node-red-node-test-helper loads them, unique
 * topic and group names, a recorder of a node's statuses, and a suite's Kafka.
 */
import { after, before } from 'node:test';
import helper from 'node-red-node-test-helper';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Node, NodeAPI, NodeInitializer } from 'node-red';
import { hooks } from '@node-red/util';
import { withCatalog } from '../node-helper';
import { startTestKafka, type TestKafka } from './broker';
import kafkaBrokerNode from '../../../nodes/kafka-broker';
import kafkaOutNode from '../../../nodes/kafka-out';
import kafkaInNode from '../../../nodes/kafka-in';

export type FlowItem = helper.TestFlowsItem & Record<string, unknown>;

export interface StatusLike {
  fill?: string;
  shape?: string;
  text?: string;
}

/** The helper's RED has no hooks; kafka-in listens for done() through them as in a runtime. */
function withHooks(init: NodeInitializer): NodeInitializer {
  return (RED: NodeAPI) => {
    if (!RED.hooks) (RED as { hooks: unknown }).hooks = hooks;
    return init(RED);
  };
}

export const kafkaNodes: NodeInitializer[] = [kafkaBrokerNode, kafkaOutNode, kafkaInNode].map((n) => withHooks(withCatalog(n)));

let serial = 0;
/** A topic or group name no other test (or earlier run against a real cluster) has used. */
export const unique = (prefix: string): string => `${prefix}.${process.pid}.${Date.now()}.${++serial}`;

/** Records every status the node shows from now on. */
export function statuses(node: Node): StatusLike[] {
  const seen: StatusLike[] = [];
  const original = node.status.bind(node);
  node.status = ((s: StatusLike) => {
    seen.push(s);
    original(s as never);
  }) as Node['status'];
  return seen;
}

/** Polls an async condition every 100 ms for up to 30 s. */
export async function pollUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A Kafka for a suite of node tests: KAFKA_BROKERS when set, else a test broker of its own. */
export interface KafkaSuite {
  kafka: Kafka;
  address: string;
  broker?: TestKafka;
  /** A second group member a test starts; disconnected after the suite. */
  other?: Consumer;
}

/** Starts the test helper's server and the suite's Kafka before its tests and stops both after. */
export function kafkaSuite(clientId: string, partitions: number): KafkaSuite {
  const suite = {} as KafkaSuite;
  before(async () => {
    await new Promise<void>((resolve) => helper.startServer(resolve));
    if (process.env.KAFKA_BROKERS) suite.address = process.env.KAFKA_BROKERS;
    else {
      suite.broker = await startTestKafka({ partitions });
      suite.address = suite.broker.address;
    }
    suite.kafka = new Kafka({ clientId, brokers: suite.address.split(','), logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await suite.other?.disconnect();
    await helper.unload();
    await suite.broker?.close();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });
  return suite;
}

