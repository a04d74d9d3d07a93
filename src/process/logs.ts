// The job's logs: process.txt (what each step did, with timings), process_metrics.txt (the GNU
// `time --verbose` fields CALCLOUD parses) and result.json (exit status and provenance).
import { performance } from 'node:perf_hooks';

export class ProcessLog {
  readonly lines: string[] = [];
  private readonly echo: ((line: string) => void) | undefined;
  constructor(echo?: (line: string) => void) {
    this.echo = echo;
  }
  info(text: string): void {
    this.add('INFO', text);
  }
  warn(text: string): void {
    this.add('WARNING', text);
  }
  error(text: string): void {
    this.add('ERROR', text);
  }
  private add(level: string, text: string): void {
    for (const t of text.split('\n')) {
      const line = `${new Date().toISOString()} - ${level} - ${t}`;
      this.lines.push(line);
      this.echo?.(line);
    }
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Resource usage from the job's start, for process_metrics.txt. */
export class Metrics {
  private readonly t0 = performance.now();
  private readonly r0 = process.resourceUsage();

  gnuTime(command: string, exitStatus: number): string {
    const r = process.resourceUsage();
    const wall = (performance.now() - this.t0) / 1000;
    const user = (r.userCPUTime - this.r0.userCPUTime) / 1e6;
    const sys = (r.systemCPUTime - this.r0.systemCPUTime) / 1e6;
    const m = Math.floor(wall / 60);
    const s = wall - m * 60;
    const h = Math.floor(m / 60);
    const elapsed =
      h > 0
        ? `${h}:${String(m % 60).padStart(2, '0')}:${s.toFixed(0).padStart(2, '0')}`
        : `${m}:${s.toFixed(2).padStart(5, '0')}`;
    const d = (k: keyof NodeJS.ResourceUsage) => (r[k] as number) - (this.r0[k] as number);
    const rows: [string, string | number][] = [
      ['Command being timed', `"${command}"`],
      ['User time (seconds)', user.toFixed(2)],
      ['System time (seconds)', sys.toFixed(2)],
      ['Percent of CPU this job got', `${wall > 0 ? Math.round(((user + sys) / wall) * 100) : 0}%`],
      ['Elapsed (wall clock) time (h:mm:ss or m:ss)', elapsed],
      ['Average shared text size (kbytes)', 0],
      ['Average unshared data size (kbytes)', 0],
      ['Average stack size (kbytes)', 0],
      ['Average total size (kbytes)', 0],
      ['Maximum resident set size (kbytes)', r.maxRSS],
      ['Average resident set size (kbytes)', 0],
      ['Major (requiring I/O) page faults', d('majorPageFault')],
      ['Minor (reclaiming a frame) page faults', d('minorPageFault')],
      ['Voluntary context switches', d('voluntaryContextSwitches')],
      ['Involuntary context switches', d('involuntaryContextSwitches')],
      ['Swaps', d('swappedOut')],
      ['File system inputs', d('fsRead')],
      ['File system outputs', d('fsWrite')],
      ['Socket messages sent', d('ipcSent')],
      ['Socket messages received', d('ipcReceived')],
      ['Signals delivered', d('signalsCount')],
      ['Page size (bytes)', 4096],
      ['Exit status', exitStatus],
    ];
    return `${rows.map(([k, v]) => `\t${k}: ${v}`).join('\n')}\n`;
  }
}
