// The columns our MAST-protocol server answers with: names, order and Mashup types as MAST's own
// Mast.Caom.Filtered / Mast.Caom.Products replies, so astroquery and our client parse them unchanged.

export interface ColumnDef {
  name: string;
  /** Mashup field type in replies. */
  type: 'string' | 'int' | 'float' | 'boolean';
  /** VOTable datatype advertised by columnsconfig (decides discrete vs continuous filters). */
  vot: 'char' | 'int' | 'long' | 'double' | 'boolean';
  separator?: string;
  text: string;
}

export const OBS_COLUMNS: ColumnDef[] = [
  { name: 'dataproduct_type', type: 'string', vot: 'char', text: 'Data Product Type' },
  { name: 'calib_level', type: 'int', vot: 'int', text: 'Calibration Level' },
  { name: 'obs_collection', type: 'string', vot: 'char', separator: ';', text: 'Mission' },
  { name: 'obs_id', type: 'string', vot: 'char', text: 'Observation ID' },
  { name: 'target_name', type: 'string', vot: 'char', text: 'Target Name' },
  { name: 's_ra', type: 'float', vot: 'double', text: 'RA' },
  { name: 's_dec', type: 'float', vot: 'double', text: 'Dec' },
  { name: 't_min', type: 'float', vot: 'double', text: 'Start Time' },
  { name: 't_max', type: 'float', vot: 'double', text: 'End Time' },
  { name: 't_exptime', type: 'float', vot: 'double', text: 'Exposure Length' },
  { name: 'wavelength_region', type: 'string', vot: 'char', separator: ';', text: 'Waveband' },
  { name: 'filters', type: 'string', vot: 'char', separator: ';', text: 'Filters' },
  { name: 'em_min', type: 'float', vot: 'double', text: 'Min. Wavelength' },
  { name: 'em_max', type: 'float', vot: 'double', text: 'Max. Wavelength' },
  {
    name: 'target_classification',
    type: 'string',
    vot: 'char',
    separator: ';',
    text: 'Target Classification',
  },
  { name: 'obs_title', type: 'string', vot: 'char', text: 'Observation Title' },
  { name: 't_obs_release', type: 'float', vot: 'double', text: 'Release Date' },
  { name: 'instrument_name', type: 'string', vot: 'char', text: 'Instrument' },
  { name: 'proposal_pi', type: 'string', vot: 'char', text: 'Principal Investigator' },
  { name: 'proposal_id', type: 'string', vot: 'char', text: 'Proposal ID' },
  { name: 'project', type: 'string', vot: 'char', separator: ';', text: 'Project' },
  { name: 's_region', type: 'string', vot: 'char', text: 's_region' },
  { name: 'jpegURL', type: 'string', vot: 'char', text: 'Preview' },
  { name: 'dataURL', type: 'string', vot: 'char', text: 'Product URL' },
  { name: 'obsid', type: 'string', vot: 'long', text: 'Product Group ID' },
  { name: 'objID', type: 'string', vot: 'long', text: 'Object ID' },
];

export const PRODUCT_COLUMNS: ColumnDef[] = [
  { name: 'obsID', type: 'string', vot: 'char', text: 'Product Group ID' },
  { name: 'obs_collection', type: 'string', vot: 'char', text: 'Mission' },
  { name: 'dataproduct_type', type: 'string', vot: 'char', text: 'Product Type' },
  { name: 'obs_id', type: 'string', vot: 'char', text: 'Observation ID' },
  { name: 'description', type: 'string', vot: 'char', text: 'Description' },
  { name: 'type', type: 'string', vot: 'char', text: 'Type' },
  { name: 'dataURI', type: 'string', vot: 'char', text: 'URI' },
  { name: 'productType', type: 'string', vot: 'char', text: 'Product Type' },
  { name: 'productGroupDescription', type: 'string', vot: 'char', text: 'Product Group' },
  { name: 'productSubGroupDescription', type: 'string', vot: 'char', text: 'Product Subgroup' },
  { name: 'productDocumentationURL', type: 'string', vot: 'char', text: 'Documentation' },
  { name: 'project', type: 'string', vot: 'char', text: 'Project' },
  { name: 'prvversion', type: 'string', vot: 'char', text: 'Product Version' },
  { name: 'productFilename', type: 'string', vot: 'char', text: 'Filename' },
  { name: 'size', type: 'int', vot: 'long', text: 'Size' },
];

/** A columnsconfig reply in MAST's shape for one column set. */
export function columnsConfig(cols: ColumnDef[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {
    _selected_: { text: 'selected', add: true, type: 'boolean', hidden: true },
  };
  cols.forEach((c, order) => {
    const e: Record<string, unknown> = {
      text: c.text,
      order,
      'vot.datatype': c.vot,
      'vot.ID': c.name,
      'vot.name': c.name,
    };
    if (c.separator) e.separator = c.separator;
    out[c.name] = e;
  });
  return out;
}
