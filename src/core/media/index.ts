/** Image, audio and table files to model inputs, and image-like outputs back to PNG: pure, re-exports only. */
export { ImageDecodeError, type DecodedImage } from './decodedImage';
export { decodeImage, readImage } from './decodeImage';
export { decodePng, isPng } from './decodePng';
export { decodeJpeg, isJpeg } from './decodeJpeg';
export { encodePng } from './encodePng';
export { crc32 } from './crc32';
export { resizeBilinear, type ResizeOptions } from './resizeBilinear';
export {
  IMAGE_PRESETS,
  isImagePreset,
  presetNormalization,
  normalizationFromMetadata,
  channelOrderFromMetadata,
  parseNumberList,
  type ImagePreset,
  type ImageNormalization,
} from './imageNormalization';
export { imageToTensor, imageLayoutOf, type ImageLayout, type ImageInputSpec, type ImageTensor } from './imageToTensor';
export { decodeWav, readWav, mixToMono, AudioDecodeError, type DecodedAudio } from './decodeWav';
export { resampleAudio, RESAMPLE_ZEROS } from './resampleAudio';
export { readCsvRow, parseCsv, csvNumber, CsvError, type CsvRow } from './readCsvRow';
export { tensorToImage, imageLikeShape, type ImageLikeShape, type RenderedImage } from './tensorToImage';
