// Output helpers shared by commands: JSON for machines, aligned text for people.
import { Writable } from 'node:stream';
import type { Command } from 'commander';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  interactive: boolean;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  interactive: Boolean(process.stderr.isTTY),
};

/** JSON that survives bigint and non-finite numbers (written as strings, as astropy's tools do). */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'number' && !Number.isFinite(v))
        return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      return v;
    },
    indent,
  );
}

/** Renders rows as a left-aligned text table. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A stream that discards output (for tests that do not care). */
export const nullStream = new Writable({ write: (_c, _e, cb) => cb() });

/** Records a command's exit code for `main` to return (commander actions return nothing). */
export function setExitCode(cmd: Command, code: number): void {
  (cmd as Command & { exitCodeResult?: number }).exitCodeResult = code;
}
