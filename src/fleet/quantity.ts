/** Kubernetes resource quantities ("512Gi", "80G", "1.5Ti", 1024) as bytes, and back as whole GiB. */
const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function quantityBytes(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)([kMGTPE]i?)?$/.exec(value.trim());
  if (!m) return undefined;
  const factor = SUFFIX[m[2] ?? ''];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/** Whole GiB, rounded up: what a memory request or a vLLM size flag is given. */
export const ceilGiB = (bytes: number): number => Math.ceil(bytes / 2 ** 30 - 1e-9);

export const gibQuantity = (gib: number): string => `${gib}Gi`;
