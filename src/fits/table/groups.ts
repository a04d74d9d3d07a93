// Random groups (primary HDU with GROUPS = T, NAXIS1 = 0): GCOUNT groups of PCOUNT parameters
// followed by an array of NAXIS2 × … × NAXISn values, all of type BITPIX. Parameters are scaled
// by PSCALn/PZEROn and the array by BSCALE/BZERO, in float64 as astropy's GroupData does.
import { FitsError, locate } from '../errors.ts';
import type { Hdu } from '../hdu.ts';
import { decodeStored, type ImageArray, readScaling } from '../image.ts';

export interface GroupParam {
  /** PTYPEn ('' when absent). */
  name: string;
  pscal: number;
  pzero: number;
  /** One physical value per group. */
  values: Float64Array;
}

export interface GroupsData {
  pcount: number;
  gcount: number;
  params: GroupParam[];
  /** The arrays of all groups, group after group; physical (Float64 when BSCALE/BZERO scale). */
  data: ImageArray;
  /** numpy order: [GCOUNT, NAXISn, …, NAXIS2]. */
  shape: number[];
  /** FITS order of one group's array: [NAXIS2, …, NAXISn]. */
  naxes: number[];
  bitpix: number;
}

export function readGroups(hdu: Hdu): GroupsData {
  return locate({ file: hdu.fileName, hdu: hdu.index }, () => {
    if (hdu.kind !== 'GROUPS')
      throw new FitsError(`HDU is a ${hdu.kind}, not random groups (GROUPS = T, NAXIS1 = 0)`);
    const { bitpix, naxes: all, pcount, gcount } = hdu.layout;
    const naxes = all.slice(1);
    const size = naxes.reduce((a, b) => a * b, 1);
    const stored = decodeStored(hdu.readRawData(), bitpix);
    const stride = pcount + size;
    const params: GroupParam[] = [];
    for (let i = 0; i < pcount; i++) {
      const n = i + 1;
      const name = hdu.header.get(`PTYPE${n}`);
      const pscal = hdu.header.number(`PSCAL${n}`, 1);
      const pzero = hdu.header.number(`PZERO${n}`, 0);
      const values = new Float64Array(gcount);
      for (let g = 0; g < gcount; g++) values[g] = Number(stored[g * stride + i]) * pscal + pzero;
      params.push({ name: typeof name === 'string' ? name.trim() : '', pscal, pzero, values });
    }
    const array = stored.slice(0, gcount * size) as ImageArray;
    for (let g = 0; g < gcount; g++) {
      const from = g * stride + pcount;
      array.set(stored.subarray(from, from + size) as never, g * size);
    }
    const s = readScaling((k) => hdu.header.get(k));
    let data: ImageArray = array;
    if (s.bscale !== 1 || s.bzero !== 0) {
      const out = new Float64Array(array.length);
      for (let i = 0; i < out.length; i++) out[i] = Number(array[i]) * s.bscale + s.bzero;
      data = out;
    }
    return { pcount, gcount, params, data, shape: [gcount, ...[...naxes].reverse()], naxes, bitpix };
  });
}
