// Public surface of the tiny-model generator.

export { DEFAULT_VARIANT, type TinyVariant } from "./variant";
export {
  DEFAULT_TINY_MODEL_DIR,
  ensureTinyModel,
  tinyModelContentHash,
  tinyModelFileHashes,
  writeTinyModel,
} from "./write-tiny-model";
