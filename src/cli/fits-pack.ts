// `caldera fits compress|decompress`: fpack/funpack over packFits/unpackFits.
import type { Command } from 'commander';
import { type CompressOptions, packFits, unpackFits } from '../fits/index.ts';
import { CliError } from './errors.ts';
import { type CliIO, toJson } from './io.ts';

const TYPES = ['RICE_1', 'GZIP_1', 'GZIP_2', 'NOCOMPRESS'] as const;
const DITHERS = ['NO_DITHER', 'SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2'] as const;

interface PackFlags {
  type: string;
  quantize?: string;
  tile?: string;
  dither?: string;
  seed?: string;
  json?: boolean;
}

export function compressOptions(flags: PackFlags): CompressOptions {
  const type = flags.type.toUpperCase();
  if (!(TYPES as readonly string[]).includes(type))
    throw new CliError(`--type must be one of ${TYPES.join(', ')}, got '${flags.type}'`);
  const opts: CompressOptions = { type: type as CompressOptions['type'] };
  if (flags.quantize !== undefined) {
    const q = Number(flags.quantize);
    if (!Number.isFinite(q) || q < 0)
      throw new CliError(`--quantize must be a number ≥ 0 (0 = lossless), got '${flags.quantize}'`);
    opts.quantize = q;
  }
  if (flags.tile !== undefined) {
    const tile = flags.tile.split(',').map(Number);
    if (tile.some((t) => !Number.isInteger(t) || t < 1))
      throw new CliError(`--tile must be positive integers like 100,100, got '${flags.tile}'`);
    opts.tile = tile;
  }
  if (flags.dither !== undefined) {
    const d = flags.dither.toUpperCase();
    if (!(DITHERS as readonly string[]).includes(d))
      throw new CliError(`--dither must be one of ${DITHERS.join(', ')}`);
    opts.dither = d as CompressOptions['dither'];
  }
  if (flags.seed !== undefined) {
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed) || seed < 1 || seed > 10000)
      throw new CliError(`--seed must be an integer 1..10000, got '${flags.seed}'`);
    opts.seed = seed;
  }
  return opts;
}

export function registerFitsPackCommands(fits: Command, io: CliIO): void {
  fits
    .command('compress')
    .description('Tile-compress every image HDU (like fpack); tables and headers are copied.')
    .argument('<in>')
    .argument('<out>')
    .option('--type <type>', `compression: ${TYPES.join(', ')}`, 'RICE_1')
    .option('--quantize <q>', 'floats: quantization level q (noise/q per step; 0 = lossless, GZIP only)')
    .option('--tile <n,m>', 'tile shape (default: one row per tile)')
    .option('--dither <method>', DITHERS.join(', '))
    .option('--seed <n>', 'dither seed ZDITHER0, 1..10000')
    .option('--json', 'machine-readable output')
    .action((input: string, output: string, flags: PackFlags) => {
      const r = packFits(input, output, compressOptions(flags));
      if (flags.json) io.out(toJson(r));
      else
        io.out(
          `${output}: ${r.compressed} of ${r.hdus} HDUs compressed, ${r.inputBytes} → ${r.outputBytes} bytes (ratio ${(r.inputBytes / r.outputBytes).toFixed(2)})`,
        );
    });

  fits
    .command('decompress')
    .description('Restore plain images from tile-compressed HDUs (like funpack).')
    .argument('<in>')
    .argument('<out>')
    .option('--json', 'machine-readable output')
    .action((input: string, output: string, flags: { json?: boolean }) => {
      const r = unpackFits(input, output);
      if (flags.json) io.out(toJson(r));
      else io.out(`${output}: ${r.compressed} HDUs decompressed, ${r.inputBytes} → ${r.outputBytes} bytes`);
    });
}
