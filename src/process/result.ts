// logs/result.json: the job's outcome and provenance — exit code and name, the failing step and
// why, per-step wall/CPU/peak memory, the CRDS context and every reference with its SHA-1, the
// inputs with SHA-256, the outputs, and the caldera and Node versions.
import type { PreviewResult } from '../preview/index.ts';
import type { BestrefsResult } from './bestrefs.ts';
import type { JobConfig } from './config.ts';
import type { DatasetId } from './dataset.ts';
import type { StepFailure } from './errors.ts';
import { exitName } from './exit-codes.ts';
import type { OutputFile } from './outputs.ts';
import type { StepRecord } from './steps.ts';

export interface ResultJson {
  dataset: string;
  instrument: string;
  exitCode: number;
  exitName: string;
  failedStep: string | null;
  reason: string | null;
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  input: { uri: string; via: string | null; files: { name: string; size?: number; sha256?: string }[] };
  output: { uri: string; files: { uri: string; kind: string; size?: number }[] };
  config: { name: string; source: string; vars: Record<string, string> };
  crds: {
    context: string;
    readonlyCache: boolean;
    serverUrl: string | null;
    references: { reftype: string; keyword: string; file: string; sha1?: string; size?: number }[];
  } | null;
  steps: StepRecord[];
  previews: {
    source: string;
    jpg: string;
    thumb: string;
    width: number;
    height: number;
    clip: [number, number];
    chips: number[];
  }[];
  versions: { caldera: string; node: string; CSYS_VER: string; AWSDPVER: string; AWSYSVER: string };
}

export function buildResult(a: {
  ds: DatasetId;
  code: number;
  failure: StepFailure | undefined;
  startedAt: Date;
  input: string;
  via: string | undefined;
  output: string;
  config: JobConfig;
  steps: StepRecord[];
  crds: BestrefsResult | undefined;
  inputs: { name: string; size?: number; sha256?: string }[];
  outputs: OutputFile[];
  previews: PreviewResult[];
  version: string;
  env: NodeJS.ProcessEnv;
}): ResultJson {
  const end = new Date();
  const base = (p: string) => p.split('/').pop()!;
  return {
    dataset: a.ds.id,
    instrument: a.ds.instrument,
    exitCode: a.code,
    exitName: exitName(a.code) ?? 'UNKNOWN',
    failedStep: a.failure?.step ?? null,
    reason: a.failure?.reason ?? null,
    startedAt: a.startedAt.toISOString(),
    finishedAt: end.toISOString(),
    wallMs: end.getTime() - a.startedAt.getTime(),
    input: { uri: a.input, via: a.via ?? null, files: a.inputs },
    output: { uri: a.output, files: a.outputs.map((o) => ({ uri: o.uri, kind: o.kind, size: o.size })) },
    config: { name: a.config.name, source: a.config.source, vars: redact(a.config.vars) },
    crds: a.crds
      ? {
          context: a.crds.context,
          readonlyCache: a.crds.readonly,
          serverUrl: a.crds.serverUrl,
          references: a.crds.refs.map((r) => ({
            reftype: r.reftype,
            keyword: r.keyword,
            file: r.file,
            sha1: r.sha1,
            size: r.size,
          })),
        }
      : null,
    steps: a.steps.map((s) => ({
      ...s,
      wallMs: round(s.wallMs),
      cpuMs: round(s.cpuMs),
      peakRssMb: round(s.peakRssMb),
    })),
    previews: a.previews.map((p) => ({
      source: base(p.source),
      jpg: base(p.jpg),
      thumb: base(p.thumb),
      width: p.width,
      height: p.height,
      clip: [p.limits.lo, p.limits.hi],
      chips: p.chips,
    })),
    versions: {
      caldera: a.version,
      node: process.version,
      CSYS_VER: a.env.CSYS_VER ?? 'UNDEFINED',
      AWSDPVER: a.env.AWSDPVER ?? 'UNDEFINED',
      AWSYSVER: a.env.AWSYSVER ?? 'UNDEFINED',
    },
  };
}

/** Config values that look like credentials are not copied into result.json. */
function redact(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [
      k,
      /SECRET|TOKEN|PASSWORD|ACCESS_KEY|CREDENTIAL/i.test(k) ? '<redacted>' : v,
    ]),
  );
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
