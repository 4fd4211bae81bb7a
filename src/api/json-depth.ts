/**
 * How deeply a request body may nest. Far beyond any real request (a tool's JSON Schema nests a
 * few dozen levels at most; vLLM's own parser stops at 200), and low enough that nothing the
 * gateway does with a body — the cache key, the model rewrite — can run out of stack.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether a parsed JSON value nests deeper than `max` (a scalar is depth 0, `[]` is 1). Without
 * recursion, and it stops at the first container past the limit: the cost is one visit per
 * container of the body, and a typical chat body has a few dozen.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop() as object;
    const depth = depths.pop() as number;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (let i = 0; i < children.length; i++) {
      const child: unknown = children[i];
      if (typeof child === 'object' && child !== null) {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
