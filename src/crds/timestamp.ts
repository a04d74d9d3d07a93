// Date parsing as crds.core.timestamp: every legacy spelling CRDS accepts, normalised to
// 'YYYY-MM-DD HH:MM:SS[.ffffff]' (datetime.isoformat(' ')) so UseAfter compares strings.
import { InvalidDatetimeError, PyValueError } from './errors.ts';
import { pyFloat, pyInt, pyStrRepr } from './py.ts';

export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
}

const T_SEPARATED_DATE_RE = /^\d\d\d\d[-/]\d\d[-/]\d\dT\d\d(:\d\d){1,2}(\.\d{1,6})?$/;
const ALPHABETICAL_RE = /[A-Za-z]{3,10}/;
const MONTH_DAY_YEAR_RE = /^\d\d\/\d\d\/\d\d\d\d$/;
const YEAR_MONTH_DAY_RE = /^\d\d\d\d\/\d\d\/\d\d$/;
const NINETEEN_HUNDREDS_RE = /^\d\d\/\d\d\/9\d$/;
const TWENTY_FIRST_CENT_RE = /^\d\d\/\d\d\/[0-3]\d$/;
const DATE_COLON_TIME_RE = /^\d\d\d\d\d\d\d\d:\d\d\d\d\d\d$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function unpack(parts: string[], n: number): string[] {
  if (parts.length < n)
    throw new PyValueError(`not enough values to unpack (expected ${n}, got ${parts.length})`);
  if (parts.length > n) throw new PyValueError(`too many values to unpack (expected ${n})`);
  return parts;
}

function pySplit(s: string): string[] {
  return s.split(/\s+/).filter((x) => x.length > 0);
}

export function parseTime(timeIn: string): [number, number, number, number] {
  let time = timeIn.trim();
  let ampm = '';
  const tail = time.slice(-2).toUpperCase();
  if (tail === 'AM' || tail === 'PM') {
    ampm = tail;
    time = time.slice(0, -2);
  }
  const parts = time.split(':');
  let hour: string;
  let minute: string;
  let second = '00';
  if (parts.length === 2) [hour, minute] = parts;
  else if (parts.length === 3) [hour, minute, second] = parts;
  else [hour, minute, second] = unpack(parts, 4);
  let ihour = pyInt(hour);
  const iminute = pyInt(minute);
  const fsec = pyFloat(second);
  const isecond = Math.trunc(fsec);
  const micro = Math.trunc((fsec - isecond) * 10 ** 6);
  if (ampm === 'PM' && ihour < 12) ihour += 12;
  else if (ampm === 'AM' && ihour === 12) ihour -= 12;
  return [ihour, iminute, isecond, micro];
}

function monthNum(month: string, initial: string): number {
  const m = month.slice(0, 3);
  const cap = m.charAt(0).toUpperCase() + m.slice(1).toLowerCase();
  const i = MONTHS.indexOf(cap);
  if (i < 0)
    throw new PyValueError(`Invalid month value ${pyStrRepr(month)} in base date ${pyStrRepr(initial)}`);
  return i + 1;
}

function makeDate(y: number, mo: number, d: number, h: number, mi: number, s: number, us: number): DateParts {
  if (y < 1 || y > 9999) throw new PyValueError(`year ${y} is out of range`);
  if (mo < 1 || mo > 12) throw new PyValueError('month must be in 1..12');
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d < 1 || d > dim) throw new PyValueError('day is out of range for month');
  if (h < 0 || h > 23) throw new PyValueError('hour must be in 0..23');
  if (mi < 0 || mi > 59) throw new PyValueError('minute must be in 0..59');
  if (s < 0 || s > 59) throw new PyValueError('second must be in 0..59');
  if (us < 0 || us > 999999) throw new PyValueError('microsecond must be in 0..999999');
  return { year: y, month: mo, day: d, hour: h, minute: mi, second: s, micro: us };
}

function parseAlphabetical(dateIn: string): DateParts {
  let date = dateIn;
  while (date.toLowerCase().endsWith(' am')) date = date.toLowerCase().replaceAll(' am', 'am');
  while (date.toLowerCase().endsWith(' pm')) date = date.toLowerCase().replaceAll(' pm', 'pm');
  date = date.replaceAll('-', ' ').replaceAll('/', ' ');
  const parts = pySplit(date);
  let month: string;
  let day: string;
  let year: string;
  let time = '00:00AM';
  if (parts.length === 4) [month, day, year, time] = parts;
  else [month, day, year] = unpack(parts, 3);
  if (day.endsWith(',')) day = day.slice(0, -1);
  let imonth: number;
  let iday: number;
  let iyear: number;
  try {
    imonth = monthNum(month, dateIn);
    iday = pyInt(day);
    iyear = pyInt(year);
  } catch {
    [day, month] = [month, day];
    imonth = monthNum(month, dateIn);
    iday = pyInt(day);
    iyear = pyInt(year);
  }
  const [h, mi, s, us] = parseTime(time);
  return makeDate(iyear, imonth, iday, h, mi, s, us);
}

function parseNumerical(dstrIn: string): DateParts {
  const dstr = dstrIn.replaceAll('-', '/');
  const parts = pySplit(dstr);
  const date = parts[0] ?? '';
  const time = parts.length <= 1 ? '00:00:00' : parts.slice(1).join(' ');
  let [h, mi, s, us] = parseTime(time);
  let year: string;
  let month: string;
  let day: string;
  if (MONTH_DAY_YEAR_RE.test(date)) [month, day, year] = date.split('/');
  else if (YEAR_MONTH_DAY_RE.test(date)) [year, month, day] = date.split('/');
  else if (NINETEEN_HUNDREDS_RE.test(date)) {
    [day, month, year] = date.split('/');
    year = `19${year}`;
  } else if (TWENTY_FIRST_CENT_RE.test(date)) {
    [day, month, year] = date.split('/');
    year = `20${year}`;
  } else if (DATE_COLON_TIME_RE.test(date)) {
    year = date.slice(0, 4);
    month = date.slice(4, 6);
    day = date.slice(6, 8);
    h = pyInt(date.slice(9, 11));
    mi = pyInt(date.slice(11, 13));
    s = pyInt(date.slice(13, 15));
    us = 0;
  } else {
    throw new PyValueError(`Unknown numerical date format: ${pyStrRepr(dstr)}`);
  }
  return makeDate(pyInt(year), pyInt(month), pyInt(day), h, mi, s, us);
}

// 'YYYY-MM-DD HH:MM:SS' (or with 'T'): the form almost every header and rule uses. The general path
// below reaches makeDate with the same numbers for it (YEAR_MONTH_DAY_RE + parseTime), just slower.
const ISO_SECONDS_RE = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)$/;

/** timestamp.parse_date for strings. */
export function parseDate(dateIn: string): DateParts {
  const iso = ISO_SECONDS_RE.exec(dateIn);
  if (iso) return makeDate(+iso[1], +iso[2], +iso[3], +iso[4], +iso[5], +iso[6], 0);
  let date = dateIn;
  if (date.includes('UNDEFINED')) {
    throw new InvalidDatetimeError('One or more required date/time values is UNDEFINED');
  }
  if (date.endsWith(' UT')) date = date.slice(0, -3);
  if (T_SEPARATED_DATE_RE.test(date)) date = date.replaceAll('T', ' ');
  return ALPHABETICAL_RE.test(date) ? parseAlphabetical(date) : parseNumerical(date);
}

const p2 = (n: number) => String(n).padStart(2, '0');

export function formatDate(d: DateParts): string {
  const base = `${String(d.year).padStart(4, '0')}-${p2(d.month)}-${p2(d.day)} ${p2(d.hour)}:${p2(d.minute)}:${p2(d.second)}`;
  return d.micro ? `${base}.${String(d.micro).padStart(6, '0')}` : base;
}

const reformatCache = new Map<string, string | Error>();

/** timestamp.reformat_date, memoised (every rmap of a dataset reformats the same DATE/TIME). */
export function reformatDate(date: string): string {
  let hit = reformatCache.get(date);
  if (hit === undefined) {
    try {
      hit = formatDate(parseDate(date));
    } catch (e) {
      hit = e as Error;
    }
    if (reformatCache.size > 50_000) reformatCache.clear();
    reformatCache.set(date, hit);
  }
  if (hit instanceof Error) throw hit;
  return hit;
}

/** Seconds since 0001-01-01 (for ClosestTime distances). */
export function toSeconds(d: DateParts): number {
  const ms = Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
  return ms / 1000 + d.micro / 1e6;
}
