// Public face of the calibration engine: the CCD chain (calacs order) for ACS/WFC, ACS/HRC and
// WFC3/UVIS, its step units on typed arrays, and the simulator of raw data with ground truth.
export { type Association, type AsnMember, isAssociation, readAssociation } from './asn.ts';
export { type BestrefsChoice, crdsBestrefs, pickContext } from './bestrefs.ts';
export {
  type CcdPassCounts,
  type CcdPassInput,
  type ChipArrays,
  ccdPass,
  DEFAULT_SDQFLAGS,
  DQ_ATODSAT,
  DQ_BADFLAT,
  DQ_BADPIX,
  DQ_CR,
  DQ_SATURATED,
  rawToOut,
} from './ccdpass.ts';
export {
  applyBpix,
  type CcdJob,
  type CcdResult,
  type PostSpec,
  type RefSource,
  runJob,
  type TwoDJob,
  type TwoDResult,
} from './chipjob.ts';
export { type CrRejParams, type CrRejResult, crReject } from './crrej.ts';
export { CalibError, type CalibErrorCode, STAGE1_ERROR } from './errors.ts';
export { inverseOf } from './fastpass.ts';
export { type RawExposure, readExposure, readSwitches, STEP_SWITCHES } from './exposure.ts';
export {
  type AmpGeometry,
  type ChipGeometry,
  chipAmps,
  chipGeometry,
  DEFAULT_OSCN,
  type Detector,
  type OscnRow,
  parseDetector,
  selectOscnRow,
} from './layout.ts';
export { clippedLineFit, median, medianInPlace, quickselect, skyMode } from './numeric.ts';
export { type AmpBias, measureAmpBias } from './overscan.ts';
export {
  type CalibrateOptions,
  type CalibrateResult,
  type ChipResult,
  calibrate,
  crParams,
  darktimeOf,
  type Product,
} from './pipeline.ts';
export { ChipPool } from './pool.ts';
export { type Placement, placeRef, type RefImage } from './refimage.ts';
export { isNoRef, type RefLocations, readRefImage, readRefRows, resolveRef } from './refs.ts';
export { type StepReport, Trailer } from './trailer.ts';
export { AsmError, assemble, setSimdEnabled, type WasmFunc, type WasmModuleSpec } from './wasm/index.ts';
export { type ChipStats, twoDPass } from './twodpass.ts';
export { type CrdsCache, writeCrdsCache } from './sim/crds.ts';
export { type SimConfig, type SimInstrument, simConfig } from './sim/instruments.ts';
export { Rng } from './sim/rng.ts';
export { type CosmicRay, type Galaxy, PSF_SIGMA, type Star } from './sim/scene.ts';
export {
  type SimChipTruth,
  type SimExposure,
  type SimulateOptions,
  type SimulateResult,
  simulate,
} from './sim/simulate.ts';
