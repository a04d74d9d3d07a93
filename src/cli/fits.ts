// `caldera fits …`: fitsinfo, fitsheader, fitscheck/fitsverify, fitsdiff, fpack/funpack equivalents,
// each a thin shell over src/fits.
import type { Command } from 'commander';
import { type CardValue, diffFits, imageStats, summarizeHdu, verifyFits } from '../fits/index.ts';
import { CliError } from './errors.ts';
import { registerFitsPackCommands } from './fits-pack.ts';
import { registerFitsTableCommands } from './fits-table.ts';
import { selectHdu, withFits } from './fits-select.ts';
import { type CliIO, formatTable, setExitCode, toJson } from './io.ts';

function jsonValue(v: CardValue): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export function registerFits(program: Command, io: CliIO): void {
  const fits = program.command('fits').description('Inspect, verify, compare and (de)compress FITS files.');

  fits
    .command('info')
    .description('List the HDUs of a file (like astropy fitsinfo).')
    .argument('<file>')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { json?: boolean }) => {
      const rows = withFits(file, (f) => f.hdus.map(summarizeHdu));
      if (opts.json) return io.out(toJson(rows));
      io.out(`Filename: ${file}`);
      io.out(
        formatTable(
          ['No.', 'Name', 'Ver', 'Type', 'Cards', 'Dimensions', 'Format'],
          rows.map((r) => [r.index, r.name, r.ver, r.type, r.cards, r.dimensions, r.format]),
        ),
      );
    });

  fits
    .command('header')
    .description('Print a header (like fitsheader); --json gives [[key, value, comment], ...].')
    .argument('<file>')
    .option('--hdu <ref>', 'HDU number, NAME or NAME,VER (default 0)')
    .option('-k, --keyword <key...>', 'only these keywords')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { hdu?: string; keyword?: string[]; json?: boolean }) => {
      withFits(file, (f) => {
        const hdu = selectHdu(f, opts.hdu);
        const keys = opts.keyword?.map((k) => k.toUpperCase());
        const cards = hdu.header.cards.filter((c) => !keys || keys.includes(c.key));
        if (opts.json)
          io.out(
            toJson(
              cards.map((c) => [c.key, jsonValue(c.value), c.comment]),
              0,
            ),
          );
        else io.out(cards.map((c) => c.images.join('\n')).join('\n'));
      });
    });

  fits
    .command('stats')
    .description('Statistics of the physical values of an image HDU.')
    .argument('<file>')
    .option('--hdu <ref>', 'HDU number, NAME or NAME,VER (default: first with data)')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { hdu?: string; json?: boolean }) => {
      const s = withFits(file, (f) => {
        const hdu =
          opts.hdu === undefined
            ? (f.hdus.find((h) => h.isImage && h.dataSize > 0) ?? f.hdu(0))
            : selectHdu(f, opts.hdu);
        return { hdu: hdu.index, name: hdu.name, ...imageStats(hdu) };
      });
      if (opts.json) return io.out(toJson(s));
      io.out(
        formatTable(
          ['hdu', 'shape', 'min', 'max', 'mean', 'sum', 'n_nan'],
          [[s.hdu, s.shape.join('x'), s.min, s.max, s.mean, s.sum, s.n_nan]],
        ),
      );
    });

  fits
    .command('verify')
    .description(
      'Check standard conformance and CHECKSUM/DATASUM (like fitsverify/fitscheck); exit 1 on errors.',
    )
    .argument('<files...>')
    .option('--strict', 'warnings count as failures too')
    .option('--json', 'machine-readable output')
    .action((files: string[], opts: { strict?: boolean; json?: boolean }, cmd: Command) => {
      const reports = files.map((f) => verifyFits(f));
      const failed = reports.some((r) => r.errors > 0 || (opts.strict && r.warnings > 0));
      if (opts.json) io.out(toJson(reports.length === 1 ? reports[0] : reports));
      else {
        for (const r of reports) {
          for (const p of r.problems) {
            const where = [p.hdu !== undefined ? `HDU ${p.hdu}` : '', p.keyword ?? '']
              .filter(Boolean)
              .join(' ');
            io.out(`${r.file}: ${p.severity.toUpperCase()}${where ? ` (${where})` : ''}: ${p.message}`);
          }
          const sums = r.checksums.filter((c) => c.checksum !== 'absent' || c.datasum !== 'absent').length;
          io.out(
            `${r.file}: ${r.hdus} HDUs, ${r.errors} errors, ${r.warnings} warnings, ${sums} HDUs with checksums verified`,
          );
        }
      }
      setExitCode(cmd, failed ? 1 : 0);
    });

  fits
    .command('diff')
    .description(
      'Compare two files, headers and data, with tolerances (like fitsdiff); exit 1 when different.',
    )
    .argument('<a>')
    .argument('<b>')
    .option('--rtol <x>', 'relative tolerance for numbers', '0')
    .option('--atol <x>', 'absolute tolerance for numbers', '0')
    .option('-k, --ignore-keywords <keys>', 'comma-separated keywords to ignore (* wildcards)', '')
    .option('--ignore-comments', 'ignore differences in card comments')
    .option('--max-diffs <n>', 'report at most this many data differences per HDU', '10')
    .option('--json', 'machine-readable output')
    .action((a: string, b: string, opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const rtol = parseTolerance(opts.rtol, '--rtol');
      const atol = parseTolerance(opts.atol, '--atol');
      const report = diffFits(a, b, {
        rtol,
        atol,
        ignoreKeywords: String(opts.ignoreKeywords ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        ignoreComments: Boolean(opts.ignoreComments),
        maxDiffs: Number(opts.maxDiffs ?? 10),
      });
      if (opts.json) io.out(toJson(report));
      else
        io.out(
          report.identical ? `No differences found (rtol=${rtol}, atol=${atol}).` : report.lines.join('\n'),
        );
      setExitCode(cmd, report.identical ? 0 : 1);
    });
  registerFitsTableCommands(fits, io);
  registerFitsPackCommands(fits, io);
}

function parseTolerance(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a non-negative number, got '${v}'`);
  return n;
}
