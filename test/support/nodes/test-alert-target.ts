import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Alert } from '../../../nodes/lib/alerting/types';
import { MemoryAlertTarget } from '../../lib/alerting/fixtures';

/**
 * A node for tests only: an AlertCommandTarget over an in-memory store, standing in for
 * alert-router where alert-ack is tested on its own. Its alerts come from the `alerts` property.
 */
export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('test-alert-target', function TestAlertTarget(this: Node, config: NodeDef & { alerts?: Alert[] }) {
    RED.nodes.createNode(this, config);
    const store = new MemoryAlertTarget(config.alerts ?? []);
    Object.assign(this, {
      store,
      applyCommand: store.applyCommand.bind(store),
      activeAlerts: store.activeAlerts.bind(store),
      findAlert: store.findAlert.bind(store),
    });
  });
};
