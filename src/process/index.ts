// Public face of `caldera process`: one HST dataset end to end (CALDP's job), its exit codes, the
// step runner, the output tree and state messages, and the strict tar reader/writer.
export {
  assignBestrefs,
  type BestrefsResult,
  headerParams,
  type RefRecord,
  updatePrimary,
} from './bestrefs.ts';
export {
  type CalEnv,
  type ConfigName,
  type JobConfig,
  parseCalEnv,
  parseKeyValues,
  resolveConfig,
} from './config.ts';
export { DATASET_RE, type DatasetId, type HstInstrument, parseDataset } from './dataset.ts';
export { CmdlineError, memoryExitCode, ProcessError, reasonOf, StepFailure } from './errors.ts';
export { EXIT, type ExitName, exitName, exitTable, explainExit, isMemoryExit } from './exit-codes.ts';
export {
  type FetchedInputs,
  fetchCode,
  type InputKind,
  type InputSpec,
  parseInput,
  readAsnMembers,
} from './inputs.ts';
export { MESSAGE_STATES, type MessageState, OutputLayout } from './layout.ts';
export { Metrics, ProcessLog } from './logs.ts';
export { Messages } from './messages.ts';
export { CALDERA_VERSION, type ProcessOptions, type ProcessResult, processDataset } from './job.ts';
export type { ResultJson } from './result.ts';
export { retry, simulateMemory, type StepRecord, StepRunner } from './steps.ts';
export {
  readTar,
  readTarGz,
  safeMemberName,
  TarError,
  tarGzStream,
  type TarInput,
  type TarMember,
  writeTar,
  writeTarGz,
} from './tar.ts';
