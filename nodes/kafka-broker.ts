import type { Node, NodeAPI, NodeDef } from 'node-red';
import { describeError } from './lib/errors';
import type { BrokerHandle } from './lib/kafka/client';
import { brokerSettingsFromConfig, unsetVariable, type BrokerConfig, type BrokerCredentials } from './lib/kafka/config';
import { createKafkaClient } from './lib/kafka/kafkajs';

type KafkaBrokerDef = NodeDef & BrokerConfig;

type KafkaBrokerNode = Node & BrokerHandle;

export = function register(RED: NodeAPI): void {
  function KafkaBrokerNode(this: Node, config: KafkaBrokerDef): void {
    RED.nodes.createNode(this, config);
    const node = this as KafkaBrokerNode;
    node.brokerList = '';
    node.unsetVariable = unsetVariable(config.brokers);
    try {
      const settings = brokerSettingsFromConfig(config, (node.credentials ?? {}) as BrokerCredentials);
      node.brokerList = settings.brokers.join(',');
      if (settings.brokers.length > 0) {
        // kafkajs reports connection trouble through the nodes' statuses; its own log goes to debug.
        node.kafka = createKafkaClient(settings, (level, message) => node.debug(`kafkajs ${level}: ${message}`));
      }
    } catch (err) {
      node.problem = describeError(err);
      node.error(RED._('kafka-broker.errors.config', { reason: node.problem }));
    }
  }

  RED.nodes.registerType('kafka-broker', KafkaBrokerNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      ca: { type: 'text' },
      cert: { type: 'text' },
      key: { type: 'password' },
    },
  });
};
