import fs from 'node:fs';
import path from 'node:path';
import { batchFromJson, type Batch } from './batch';

/**
 * A durable on-disk FIFO of batches: append-only segment files of JSON lines, one batch a line,
 * fsynced when a segment is synced or sealed. Read back in order; a segment is deleted once all
 * of its batches are acknowledged. After a crash a segment may be replayed twice, which the
 * idempotent inserts absorb.
 */
const SEGMENT = /^seg-(\d{16})\.jsonl$/;
const FIRST_SEQUENCE = 1_000_000_000_000;
const ROWS_FIELD = /"rows":(\d+)/;

export interface SpoolOptions {
  dir: string;
  /** A segment is sealed once it grows past this size. */
  segmentBytes?: number;
}

interface Segment {
  seq: number;
  file: string;
}

interface OpenSegment extends Segment {
  fd: number;
  bytes: number;
  dirty: boolean;
}

export class Spool {
  readonly dir: string;
  private readonly segmentBytes: number;
  /** Sealed or written segments, oldest first (the writing one is last when present). */
  private readonly segments: Segment[] = [];
  private writing: OpenSegment | undefined;
  private loaded: { seq: number; batches: Batch[]; next: number } | undefined;
  private pendingRows = 0;

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    fs.mkdirSync(this.dir, { recursive: true });
    for (const name of fs.readdirSync(this.dir).sort()) {
      const match = SEGMENT.exec(name);
      if (!match) continue;
      const segment = { seq: Number(match[1]), file: path.join(this.dir, name) };
      this.segments.push(segment);
      this.pendingRows += countRows(segment.file);
    }
  }

  /** Rows on disk not yet acknowledged. */
  get rows(): number {
    return this.pendingRows;
  }

  get isEmpty(): boolean {
    return this.segments.length === 0;
  }

  append(batch: Batch): void {
    if (this.writing === undefined || this.writing.bytes >= this.segmentBytes) {
      this.seal();
      const last = this.segments[this.segments.length - 1];
      this.writing = this.open(last === undefined ? FIRST_SEQUENCE : last.seq + 1);
      this.segments.push(this.writing);
    }
    this.write(this.writing, batch);
  }

  /** Puts batches ahead of everything spooled: they are older than what is on disk. */
  prepend(batches: readonly Batch[]): void {
    if (batches.length === 0) return;
    const first = this.segments[0];
    const segment = this.open(first === undefined ? FIRST_SEQUENCE : first.seq - 1);
    for (const batch of batches) this.write(segment, batch);
    fs.fsyncSync(segment.fd);
    fs.closeSync(segment.fd);
    this.segments.unshift({ seq: segment.seq, file: segment.file });
  }

  /** Makes appended batches durable. */
  sync(): void {
    if (this.writing?.dirty) {
      fs.fsyncSync(this.writing.fd);
      this.writing.dirty = false;
    }
  }

  /** The oldest batch not yet acknowledged. */
  peek(): Batch | undefined {
    while (this.loaded === undefined || this.loaded.next >= this.loaded.batches.length) {
      if (this.loaded !== undefined) this.finishLoaded();
      const oldest = this.segments[0];
      if (oldest === undefined) return undefined;
      if (oldest === this.writing) this.seal();
      const { batches, unreadable } = readSegment(oldest.file);
      this.pendingRows -= unreadable;
      this.loaded = { seq: oldest.seq, batches, next: 0 };
    }
    return this.loaded.batches[this.loaded.next];
  }

  /** Drops the batch last returned by peek. */
  ack(): void {
    if (this.loaded === undefined || this.loaded.next >= this.loaded.batches.length) return;
    this.pendingRows -= this.loaded.batches[this.loaded.next].rows;
    this.loaded.next++;
    if (this.loaded.next >= this.loaded.batches.length) this.finishLoaded();
  }

  close(): void {
    this.seal();
  }

  private finishLoaded(): void {
    const seq = this.loaded?.seq;
    this.loaded = undefined;
    const index = this.segments.findIndex((s) => s.seq === seq);
    if (index < 0) return;
    fs.rmSync(this.segments[index].file, { force: true });
    this.segments.splice(index, 1);
  }

  private seal(): void {
    if (this.writing === undefined) return;
    this.sync();
    fs.closeSync(this.writing.fd);
    const index = this.segments.indexOf(this.writing);
    if (index >= 0) this.segments[index] = { seq: this.writing.seq, file: this.writing.file };
    this.writing = undefined;
  }

  private open(seq: number): OpenSegment {
    const file = path.join(this.dir, `seg-${String(seq).padStart(16, '0')}.jsonl`);
    return { seq, file, fd: fs.openSync(file, 'a'), bytes: 0, dirty: false };
  }

  private write(segment: OpenSegment, batch: Batch): void {
    const line = `${JSON.stringify({ table: batch.table, rows: batch.rows, columns: batch.columns })}\n`;
    const bytes = fs.writeSync(segment.fd, line);
    segment.bytes += bytes;
    segment.dirty = true;
    this.pendingRows += batch.rows;
  }
}

/** The segment's batches, and the rows counted for lines that do not parse (a torn last write). */
function readSegment(file: string): { batches: Batch[]; unreadable: number } {
  const batches: Batch[] = [];
  let unreadable = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const batch = parseLine(line);
    if (batch) batches.push(batch);
    else unreadable += lineRows(line);
  }
  return { batches, unreadable };
}

function parseLine(line: string): Batch | undefined {
  try {
    return batchFromJson(JSON.parse(line));
  } catch {
    return undefined;
  }
}

function lineRows(line: string): number {
  const match = ROWS_FIELD.exec(line.slice(0, 64));
  return match ? Number(match[1]) : 0;
}

function countRows(file: string): number {
  let rows = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) rows += lineRows(line);
  return rows;
}
