import type { BenchRow } from './report.ts';

/** What every benchmark gets from the runner. */
export interface BenchContext {
  /** `npm run bench -- --quick`: smaller sizes, one repetition, a smoke check. */
  quick: boolean;
  /** A temporary directory for this benchmark's big files; the runner deletes it afterwards. */
  tmp: string;
  /** Progress for people, on stderr (stdout is the table). */
  log(message: string): void;
}

/** A benchmark module's default export. It returns rows; a part that cannot run returns a `notRun` row. */
export type Bench = (ctx: BenchContext) => Promise<BenchRow[]>;
