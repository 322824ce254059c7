/**
 * The test broker in a process of its own (for benchmarks, so it does not share the event loop it
 * is measured with): sends its address to the parent over IPC and runs until disconnected.
 */
import { startTestKafka } from './broker';

startTestKafka({ partitions: Number(process.env.PDM_KAFKA_PARTITIONS ?? 6) })
  .then((broker) => {
    process.send?.({ address: broker.address });
    process.on('disconnect', () => {
      void broker.close().then(() => process.exit(0));
    });
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
