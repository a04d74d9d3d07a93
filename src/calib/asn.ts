// Association tables (_asn.fits): which raws belong together and which products they make.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openFits, readTable } from '../fits/index.ts';
import { CalibError } from './errors.ts';

export interface AsnMember {
  name: string;
  type: string;
  present: boolean;
}

export interface Association {
  path: string;
  asnId: string;
  members: AsnMember[];
  /** Raw files of the exposures (EXP-*) that are present. */
  exposures: string[];
  /** PROD-CRJ / PROD-RPT product rootname, when the association asks for a combined product. */
  crjProduct: string | undefined;
}

export function isAssociation(path: string): boolean {
  return /_asn\.fits$/i.test(basename(path));
}

export function readAssociation(path: string): Association {
  let members: AsnMember[];
  let asnId: string;
  try {
    const f = openFits(path);
    try {
      asnId = f.hdus[0].header
        .string('ASN_ID', basename(path).replace(/_asn\.fits$/i, ''))
        .trim()
        .toLowerCase();
      const t = readTable(f.hdus[1], { columns: ['MEMNAME', 'MEMTYPE', 'MEMPRSNT'], trimStrings: true });
      const names = t.column('MEMNAME').values as string[];
      const types = t.column('MEMTYPE').values as string[];
      const pres = t.column('MEMPRSNT').values as ArrayLike<unknown>;
      members = names.map((n, i) => ({
        name: n.trim().toLowerCase(),
        type: types[i].trim().toUpperCase(),
        present: Boolean(pres[i]),
      }));
    } finally {
      f.close();
    }
  } catch (err) {
    if (err instanceof CalibError) throw err;
    throw new CalibError(
      'E_CALIB_ASN',
      'ASN',
      `cannot read the association table: ${(err as Error).message}`,
      path,
    );
  }
  const dir = dirname(path);
  const exposures: string[] = [];
  for (const m of members) {
    if (!m.type.startsWith('EXP-') || !m.present) continue;
    const raw = join(dir, `${m.name}_raw.fits`);
    if (!existsSync(raw)) {
      throw new CalibError(
        'E_CALIB_ASN',
        'ASN',
        `member ${m.name} (${m.type}) is marked present but ${basename(raw)} is missing`,
        path,
      );
    }
    exposures.push(raw);
  }
  if (exposures.length === 0)
    throw new CalibError('E_CALIB_ASN', 'ASN', 'the association lists no present exposures', path);
  const prod = members.find((m) => m.type === 'PROD-CRJ' || m.type === 'PROD-RPT');
  return { path, asnId, members, exposures, crjProduct: prod?.name };
}
