// The trailer (.tra): a plain-text log of every step with its outcome, reason and time, and the
// HISTORY cards that summarise the same in the output headers.

export type StepStatus = 'COMPLETE' | 'SKIPPED' | 'OMIT' | 'DONE' | 'ALREADY COMPLETE';

export interface StepReport {
  step: string;
  status: StepStatus;
  /** Why it was skipped, or what it did. */
  detail: string;
  /** Wall milliseconds attributed to the step (summed over chips when they ran in parallel). */
  ms: number;
  ref?: string;
}

export class Trailer {
  readonly lines: string[] = [];
  readonly steps: StepReport[] = [];

  log(text: string): void {
    this.lines.push(`${new Date().toISOString()} ${text}`);
  }

  step(r: StepReport): void {
    this.steps.push(r);
    const ref = r.ref ? ` [${r.ref}]` : '';
    this.log(
      `${r.step.padEnd(9)} ${r.status.padEnd(8)} ${r.ms.toFixed(1).padStart(8)} ms  ${r.detail}${ref}`,
    );
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }

  /** HISTORY card texts (72 characters at most each). */
  history(): string[] {
    const out: string[] = [];
    for (const s of this.steps) {
      // FITS cards hold printable ASCII only.
      const text = `${s.step} ${s.status}: ${s.detail}${s.ref ? ` (${s.ref})` : ''}`.replace(
        /[^\x20-\x7e]/g,
        '?',
      );
      for (let i = 0; i < text.length; i += 70) out.push(text.slice(i, i + 70));
    }
    return out;
  }
}
