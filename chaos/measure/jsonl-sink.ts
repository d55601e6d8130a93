// Buffers rows and appends them to a run-folder JSONL file in batches (one write per second,
// not one per sample), and on close.
import { appendJsonl } from '../../scripts/lib/run-folder.ts';

export class JsonlSink<T> {
  private rows: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  written = 0;

  constructor(
    private readonly dir: string,
    private readonly file: string,
    flushEveryMs = 1000,
  ) {
    this.timer = setInterval(() => this.flush(), flushEveryMs);
    this.timer.unref();
  }

  push(row: T): void {
    this.rows.push(row);
  }

  flush(): void {
    if (!this.rows.length) return;
    const batch = this.rows;
    this.rows = [];
    appendJsonl(this.dir, this.file, batch);
    this.written += batch.length;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
