// Encodes a random-groups primary HDU (GROUPS = T, NAXIS1 = 0): GCOUNT groups, each PCOUNT
// parameters then one array, all stored with the array's BITPIX. Parameters are stored as
// (value − PZEROn) / PSCALn, rounded for integer BITPIX; out-of-range values are errors.
import type { CardValue } from '../card.ts';
import { FitsError } from '../errors.ts';
import { Header } from '../header.ts';
import { allocStored, encodeStored, type ImageArray } from '../image.ts';

export interface GroupParamSpec {
  name: string;
  /** One physical value per group. */
  values: ArrayLike<number>;
  pscal?: number;
  pzero?: number;
}

export interface GroupsSpec {
  /** All groups' arrays, group after group, as stored values of one BITPIX type. */
  data: Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  /** One group's array axes, FITS order (NAXIS2 … NAXISn). */
  naxes: number[];
  params: GroupParamSpec[];
  header?: Header | [string, CardValue, string?][];
}

const BITPIX: [new (n: number) => ImageArray, number, number, number][] = [
  [Uint8Array, 8, 0, 255],
  [Int16Array, 16, -32768, 32767],
  [Int32Array, 32, -2147483648, 2147483647],
  [Float32Array, -32, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  [Float64Array, -64, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
];

export function encodeGroups(spec: GroupsSpec): { header: Header; data: Uint8Array } {
  const match = BITPIX.find(([ctor]) => spec.data instanceof ctor);
  if (!match)
    throw new FitsError('random-groups data must be Uint8/Int16/Int32/Float32/Float64 stored values');
  const [, bitpix, lo, hi] = match;
  const size = spec.naxes.reduce((a, b) => a * b, 1);
  if (spec.naxes.length === 0 || size === 0 || spec.data.length % size !== 0) {
    throw new FitsError(
      `data of ${spec.data.length} values is not a whole number of ${spec.naxes.join('×')} arrays`,
    );
  }
  const gcount = spec.data.length / size;
  const pcount = spec.params.length;
  const stored = allocStored(bitpix, gcount * (pcount + size)) as Exclude<
    ImageArray,
    BigInt64Array | BigUint64Array
  >;
  spec.params.forEach((p, j) => {
    if (p.values.length !== gcount)
      throw new FitsError(`parameter '${p.name}' has ${p.values.length} values for ${gcount} groups`);
    const scal = p.pscal ?? 1;
    const zero = p.pzero ?? 0;
    for (let g = 0; g < gcount; g++) {
      let v = (p.values[g] - zero) / scal;
      if (bitpix > 0) v = Math.round(v);
      if (!(v >= lo && v <= hi) && bitpix > 0)
        throw new FitsError(`parameter '${p.name}' of group ${g} does not fit BITPIX ${bitpix}`);
      stored[g * (pcount + size) + j] = v;
    }
  });
  for (let g = 0; g < gcount; g++)
    stored.set(spec.data.subarray(g * size, (g + 1) * size), g * (pcount + size) + pcount);
  return { header: groupsHeader(spec, bitpix, gcount), data: encodeStored(stored) };
}

function groupsHeader(spec: GroupsSpec, bitpix: number, gcount: number): Header {
  const h = new Header();
  h.append('SIMPLE', true, 'conforms to FITS standard');
  h.append('BITPIX', bitpix, 'array data type');
  h.append('NAXIS', spec.naxes.length + 1, 'number of array dimensions');
  h.append('NAXIS1', 0, 'random groups have no first axis');
  spec.naxes.forEach((n, i) => {
    h.append(`NAXIS${i + 2}`, n);
  });
  h.append('EXTEND', true);
  h.append('GROUPS', true, 'random group records are present');
  h.append('PCOUNT', spec.params.length, 'number of parameters per group');
  h.append('GCOUNT', gcount, 'number of groups');
  spec.params.forEach((p, i) => {
    h.append(`PTYPE${i + 1}`, p.name);
    if (p.pscal !== undefined) h.append(`PSCAL${i + 1}`, p.pscal, '', { float: true });
    if (p.pzero !== undefined) h.append(`PZERO${i + 1}`, p.pzero, '', { float: true });
  });
  const user = spec.header instanceof Header ? spec.header : Header.from(spec.header ?? []);
  for (const card of user.cards) {
    if (
      /^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|GROUPS|PCOUNT|GCOUNT|PTYPE\d+|PSCAL\d+|PZERO\d+|CHECKSUM|DATASUM)$/.test(
        card.key,
      )
    )
      continue;
    h.cards.push(card);
  }
  return h;
}
