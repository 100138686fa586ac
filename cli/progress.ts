import { PROGRESS_LINE_MS, PROGRESS_REDRAW_MS } from './constants.ts';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * One line of progress. On a terminal it is redrawn in place (at most every PROGRESS_REDRAW_MS);
 * elsewhere (a pipe, a log file) a plain line is printed at most every PROGRESS_LINE_MS.
 * `print()` writes a whole line above the bar without garbling it.
 */
export class ProgressLine {
  readonly #out: ProgressStream;
  readonly #tty: boolean;
  readonly #now: () => number;
  #text = '';
  #shown = false;
  #lastDraw = 0;
  #lastLine = 0;

  constructor(out: ProgressStream, opts: { tty?: boolean; now?: () => number } = {}) {
    this.#out = out;
    this.#tty = opts.tty ?? Boolean(out.isTTY);
    this.#now = opts.now ?? Date.now;
  }

  update(text: string): void {
    this.#text = text;
    const now = this.#now();
    if (this.#tty) {
      if (now - this.#lastDraw < PROGRESS_REDRAW_MS && this.#shown) return;
      this.#lastDraw = now;
      this.#draw();
    } else if (now - this.#lastLine >= PROGRESS_LINE_MS) {
      this.#lastLine = now;
      this.#out.write(`${text}\n`);
    }
  }

  /** Prints a line above the progress line. */
  print(line: string): void {
    if (this.#tty && this.#shown) this.#out.write('\r\x1b[2K');
    this.#out.write(`${line}\n`);
    if (this.#tty && this.#shown) this.#draw();
  }

  /** Shows `text` as the final state and leaves the line. */
  done(text = this.#text): void {
    if (this.#tty) {
      this.#text = text;
      this.#draw();
      this.#out.write('\n');
      this.#shown = false;
    } else this.#out.write(`${text}\n`);
    this.#text = '';
  }

  /** Removes the line (terminal) without printing anything else. */
  clear(): void {
    if (this.#tty && this.#shown) this.#out.write('\r\x1b[2K');
    this.#shown = false;
  }

  #draw(): void {
    const width = Math.max(20, (this.#out.columns ?? 100) - 1);
    const text = this.#text.length > width ? `${this.#text.slice(0, width - 1)}…` : this.#text;
    this.#out.write(`\r\x1b[2K${text}`);
    this.#shown = true;
  }
}
