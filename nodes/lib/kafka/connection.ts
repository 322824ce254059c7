/**
 * Keeps trying to bring a Kafka client up: connect, and on failure report why and try again
 * after a growing pause (0.5 s doubling to 30 s), until stopped. The nodes turn the reported
 * state into their status.
 */
import { STATUS, type NodeStatusLike } from '../status';
import { classifyKafkaError, type ClassifiedError } from './errors';

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'retrying'; error: ClassifiedError; inMs: number };

const FIRST_PAUSE_MS = 500;
const MAX_PAUSE_MS = 30_000;

export class Reconnector {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pause = FIRST_PAUSE_MS;
  private attempt: Promise<void> | undefined;

  constructor(
    private readonly connect: () => Promise<void>,
    private readonly report: (state: ConnectionState) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.attempt = this.run();
  }

  /** After a connected client failed: report it and connect again. */
  lost(err: unknown): void {
    if (this.stopped || this.timer !== undefined) return;
    this.schedule(classifyKafkaError(err));
  }

  /** Stops retrying; resolves once an attempt under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.attempt;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    this.report({ state: 'connecting' });
    try {
      await this.connect();
      if (this.stopped) return;
      this.pause = FIRST_PAUSE_MS;
      this.report({ state: 'connected' });
    } catch (err) {
      if (!this.stopped) this.schedule(classifyKafkaError(err));
    }
  }

  private schedule(error: ClassifiedError): void {
    const inMs = this.pause;
    this.pause = Math.min(MAX_PAUSE_MS, this.pause * 2);
    this.report({ state: 'retrying', error, inMs });
    this.timer = setTimeout(() => {
      this.attempt = this.run();
    }, inMs);
  }
}

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** Status while not connected (a connected node shows its own figures); `t` looks up status.* keys. */
export function connectionStatus(state: Exclude<ConnectionState, { state: 'connected' }>, brokers: string, t: Translate): NodeStatusLike {
  if (state.state === 'connecting') return STATUS.connecting(t('status.connecting', { brokers }));
  return STATUS.error(t(`status.problem.${state.error.problem}`, { brokers, detail: state.error.detail, seconds: Math.ceil(state.inMs / 1000) }));
}

/** Resolves when `work` settles or after `ms`, whichever comes first (close must end within 15 s). */
export function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work.then(() => undefined, () => undefined), limit]).finally(() => clearTimeout(timer));
}
