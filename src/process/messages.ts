// Dataset state files: messages/<state>/<dataset> moves from dataset-processing/ to
// datasets-processed/ (listing the outputs) or dataset-error/ (exit code, name, step, reason).
// dataset-synced/ and dataset-archived/ belong to downstream tools and are never touched here.
import type { ObjectStore } from '../storage/index.ts';
import { exitName } from './exit-codes.ts';
import type { MessageState, OutputLayout } from './layout.ts';

const OURS: MessageState[] = ['dataset-processing', 'datasets-processed', 'dataset-error'];
const enc = new TextEncoder();

export class Messages {
  private readonly store: ObjectStore;
  private readonly layout: OutputLayout;
  constructor(store: ObjectStore, layout: OutputLayout) {
    this.store = store;
    this.layout = layout;
  }

  /** Clears this dataset's previous states and writes dataset-processing. */
  async start(info: string): Promise<void> {
    await Promise.all(OURS.map((s) => this.store.delete(this.layout.message(s))));
    await this.store.write(this.layout.message('dataset-processing'), enc.encode(`${info}\n`), {
      contentType: 'text/plain',
    });
  }

  async processed(outputs: string[]): Promise<void> {
    await this.store.write(
      this.layout.message('datasets-processed'),
      enc.encode(outputs.map((o) => `${o}\n`).join('')),
      {
        contentType: 'text/plain',
      },
    );
    await this.store.delete(this.layout.message('dataset-processing'));
  }

  async error(code: number, step: string | undefined, reason: string): Promise<void> {
    const body = [
      `exit_code=${code}`,
      `exit_name=${exitName(code) ?? 'UNKNOWN'}`,
      `step=${step ?? ''}`,
      `reason=${reason.replace(/\s*\n\s*/g, ' ')}`,
      `time=${new Date().toISOString()}`,
    ].join('\n');
    await this.store.write(this.layout.message('dataset-error'), enc.encode(`${body}\n`), {
      contentType: 'text/plain',
    });
    await this.store.delete(this.layout.message('dataset-processing'));
  }
}
