/**
 * Asks a streamed chat or text completion for its usage (`stream_options.include_usage`), so
 * streams are metered too. Returns the body to send and whether the client asked itself; when
 * it did not, the usage-only chunk is removed from what it receives (src/meter/stream-usage.ts).
 * Absent `stream_options` (the usual case) the field is spliced into the client's bytes; only
 * a present `stream_options` is re-serialized.
 */
export function withIncludeUsage(text: string, json: Record<string, unknown>): { body: string; clientAsked: boolean } {
  const options = json['stream_options'];
  const asked = typeof options === 'object' && options !== null && ((options as Record<string, unknown>)['include_usage'] === true || (options as Record<string, unknown>)['continuous_usage_stats'] === true);
  if (asked) return { body: text, clientAsked: true };
  if (options === undefined) {
    const open = text.indexOf('{');
    return { body: `${text.slice(0, open + 1)}"stream_options":{"include_usage":true},${text.slice(open + 1)}`, clientAsked: false };
  }
  const merged = typeof options === 'object' && options !== null ? { ...(options as Record<string, unknown>), include_usage: true } : { include_usage: true };
  return { body: JSON.stringify({ ...JSON.parse(text), stream_options: merged }), clientAsked: false };
}
