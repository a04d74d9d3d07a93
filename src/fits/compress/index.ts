// Tile-compressed images (FITS tiled image convention): reading and writing. Importing this
// module registers the readers so Hdu.readImage/readSection work on COMPRESSED_IMAGE HDUs.
import { registerCompressedReaders } from '../hdu.ts';
import { readCompressedImage, readCompressedSection } from './read.ts';

registerCompressedReaders(readCompressedImage, readCompressedSection);

export { type CompressionParams, type CompressionType, compressionParams, imageHeaderOf } from './params.ts';
export { type DitherMethod, randomTable } from './quantize.ts';
export { compressedImageHeader, readCompressedImage, readCompressedSection } from './read.ts';
export { riceDecode, riceEncode } from './rice.ts';
export { type CompressedHdu, type CompressInput, type CompressOptions, compressImage } from './encode.ts';
