import type { CompiledPrefixSharing } from '../../fleet/compiled.ts';

/** Block sizes vLLM accepts for --block-size; any other falls back to its default, as vLLM's own flags would. */
export const VLLM_BLOCK_SIZES: readonly number[] = [8, 16, 32, 64, 128];

/**
 * A model without a CachePolicy (or one that leaves prefixSharing out) runs vLLM's defaults:
 * prefix caching on, 16-token blocks. A prompt shorter than one block has nothing cacheable,
 * so the minimum length defaults to one block.
 */
export const DEFAULT_PREFIX_SHARING: CompiledPrefixSharing = { enabled: true, blockSize: 16, minLength: 16 };

/** A CachePolicy's `prefixSharing` as written → settled values (`minLength` is in tokens). */
export function settlePrefixSharing(written: { enabled?: boolean | undefined; blockSize?: number | undefined; minLength?: number | undefined }): CompiledPrefixSharing {
  const blockSize = written.blockSize !== undefined && VLLM_BLOCK_SIZES.includes(written.blockSize) ? written.blockSize : DEFAULT_PREFIX_SHARING.blockSize;
  return {
    enabled: written.enabled ?? DEFAULT_PREFIX_SHARING.enabled,
    blockSize,
    minLength: written.minLength ?? blockSize,
  };
}
