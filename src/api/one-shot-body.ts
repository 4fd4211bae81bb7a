/**
 * A request body that streams through once (a multipart upload): it remembers whether any
 * attempt has started reading it, because after that there is nothing left to fail over with.
 */
export interface OneShotBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly pulled: boolean;
}

/** `head`: bytes already read (while looking for the model field); then the rest of `rest`, as it arrives. */
export function oneShotBody(head: readonly Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array> | undefined, onChunk?: (bytes: number) => void): OneShotBody {
  let pulled = false;
  let next = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        pulled = true;
        if (next < head.length) {
          controller.enqueue(head[next++] as Uint8Array);
          return;
        }
        if (!rest) return controller.close();
        try {
          const { done, value } = await rest.read();
          if (done) return controller.close();
          onChunk?.(value.byteLength);
          controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel(reason) {
        return rest?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    get pulled() {
      return pulled;
    },
  };
}
