// The output tree of CALDP's README, under any file: or s3:// prefix:
//   <out>/data/<instrument>/<dataset>/{products, logs/, previews/, env/}
//   <out>/messages/<state>/<dataset>
//   <out>/outputs/<dataset>/<dataset>.tar.gz   (--tarball, where CALCLOUD looks for it)
import { joinUri, parseUri } from '../storage/index.ts';
import type { DatasetId } from './dataset.ts';

export const MESSAGE_STATES = [
  'dataset-processing',
  'datasets-processed',
  'dataset-error',
  'dataset-synced',
  'dataset-archived',
] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

export class OutputLayout {
  readonly root: string;
  readonly ds: DatasetId;
  constructor(rootUri: string, ds: DatasetId) {
    const p = parseUri(rootUri);
    this.root = p.uri.replace(/\/+$/, '');
    this.ds = ds;
  }

  get scheme(): string {
    return parseUri(this.root).scheme;
  }

  get dataDir(): string {
    return joinUri(this.root, `data/${this.ds.instrument}/${this.ds.id}`);
  }

  product(name: string): string {
    return joinUri(this.dataDir, name);
  }

  log(name: string): string {
    return joinUri(this.dataDir, `logs/${name}`);
  }

  preview(name: string): string {
    return joinUri(this.dataDir, `previews/${name}`);
  }

  env(name: string): string {
    return joinUri(this.dataDir, `env/${name}`);
  }

  message(state: MessageState): string {
    return joinUri(this.root, `messages/${state}/${this.ds.id}`);
  }

  get tarball(): string {
    return joinUri(this.root, `outputs/${this.ds.id}/${this.ds.id}.tar.gz`);
  }
}
