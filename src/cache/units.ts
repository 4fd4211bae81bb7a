// Durations and sizes as the fleet file writes them (Kubernetes style): "1h", "90s", "16Mi".

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const SECONDS_PER_UNIT: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds from "500ms" / "90s" / "30m" / "1h" / "7d", or a bare number of seconds; undefined if malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * (SECONDS_PER_UNIT[m[2] ?? 's'] ?? 1);
  return seconds > 0 ? seconds : undefined;
}

const BYTES = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|K|M|G|k|KB|MB|GB|B)?$/;
const BYTES_PER_UNIT: Record<string, number> = {
  B: 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  k: 1000,
  K: 1000,
  KB: 1000,
  M: 1000 ** 2,
  MB: 1000 ** 2,
  G: 1000 ** 3,
  GB: 1000 ** 3,
};

/** Bytes from "16Mi" / "64M" / "512Ki" / "1Gi", or a bare number of bytes; undefined if malformed. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const m = BYTES.exec(value.trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * (BYTES_PER_UNIT[m[2] ?? 'B'] ?? 1));
  return bytes > 0 ? bytes : undefined;
}
