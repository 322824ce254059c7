/** The parts of `pg`'s connection a COPY uses (its type declarations omit the copy messages). */
export interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * A `COPY … FROM STDIN` as a query object for `pg`'s client.query(), which has no COPY support
 * of its own: sends the statement, then all of `data` once the server asks for it; resolves
 * with the rows copied. Settles on the server's error at once, as `pg`'s own queries do, and on
 * a lost connection (the client reports it here too).
 */
export class CopyFromQuery {
  readonly done: Promise<number>;
  private resolve!: (rows: number) => void;
  private reject!: (err: unknown) => void;
  private rows = 0;

  constructor(private readonly text: string, private readonly data: Buffer) {
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text: string }): void {
    const count = /(\d+)$/.exec(message.text);
    this.rows = count ? Number(count[1]) : 0;
  }

  handleError(err: unknown): void {
    this.reject(err);
  }

  handleReadyForQuery(): void {
    this.resolve(this.rows);
  }

  /** A COPY answers no rows; a statement that does is not a COPY FROM STDIN. */
  handleRowDescription(): void {
    this.reject(new TypeError(`not a COPY FROM STDIN statement: ${this.text}`));
  }

  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}
