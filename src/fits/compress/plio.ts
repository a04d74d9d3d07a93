// PLIO_1: IRAF pixel-list ("line list") run-length coding of non-negative integer masks, stored
// as 16-bit words. Each word is a 4-bit opcode and 12 bits of data; see the FITS tiled-image
// convention. Decoding is driven by the words actually present, so a corrupt list can only
// yield wrong pixels or an error, never an out-of-bounds access.
import { FitsError } from '../errors.ts';

export function plioDecode(ll: Int16Array, npix: number): Int32Array {
  const out = new Int32Array(npix);
  if (ll.length < 3) throw new FitsError(`PLIO_1 line list of ${ll.length} words is too short`);
  // 1-based word indexing as in the format description: word k is ll[k - 1].
  const word = (k: number): number => {
    if (k < 1 || k > ll.length) throw new FitsError('PLIO_1 line list ends early (truncated or corrupt)');
    return ll[k - 1];
  };
  let len: number;
  let first: number;
  if (word(3) > 0) {
    len = word(3);
    first = 4;
  } else {
    len = (word(5) << 15) + (word(4) & 0xffff);
    first = word(2) + 1;
  }
  if (len > ll.length) throw new FitsError(`PLIO_1 line list claims ${len} words but has ${ll.length}`);
  let op = 0;
  let x1 = 1;
  let pv = 1;
  const xe = npix;
  for (let ip = first; ip <= len && x1 <= xe; ip++) {
    const w = word(ip);
    if (w < 0) continue;
    const opcode = w >> 12;
    const data = w & 4095;
    switch (opcode) {
      case 0:
      case 4:
      case 5: {
        const x2 = x1 + data - 1;
        const np = Math.min(x2, xe) - x1 + 1;
        if (np > 0) {
          if (opcode === 4) out.fill(pv, op, op + np);
          else if (opcode === 5 && x2 <= xe) out[op + np - 1] = pv;
          op += np;
        }
        x1 = x2 + 1;
        break;
      }
      case 1:
        pv = (word(ip + 1) << 12) + data;
        ip++;
        break;
      case 2:
        pv += data;
        break;
      case 3:
        pv -= data;
        break;
      case 6:
      case 7:
        pv += opcode === 6 ? data : -data;
        if (x1 <= xe) out[op++] = pv;
        x1++;
        break;
      default:
        break;
    }
  }
  return out;
}
