// The discrete-event clock: callbacks ordered by simulated time (ms), ties in scheduling
// order, so a run is a pure function of its inputs. No real timer is ever set.

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

const before = (a: Event, b: Event) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class EventQueue {
  /** Simulated ms: the time of the event being run. */
  now = 0;
  /** Events run so far (for the run's statistics). */
  processed = 0;
  readonly #heap: Event[] = [];
  #seq = 0;

  /** Runs `run` at simulated time `at` (never before now). */
  at(at: number, run: () => void): void {
    const heap = this.#heap;
    const event: Event = { at: at > this.now ? at : this.now, seq: this.#seq++, run };
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent] as Event)) break;
      heap[i] = heap[parent] as Event;
      i = parent;
    }
    heap[i] = event;
  }

  /** Runs events in time order until none is left. */
  run(): void {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0] as Event;
      const last = heap.pop() as Event;
      if (heap.length > 0) {
        // Sift the last event down from the root.
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= heap.length) break;
          const r = l + 1;
          const child = r < heap.length && before(heap[r] as Event, heap[l] as Event) ? r : l;
          if (!before(heap[child] as Event, last)) break;
          heap[i] = heap[child] as Event;
          i = child;
        }
        heap[i] = last;
      }
      this.now = top.at;
      this.processed++;
      top.run();
    }
  }
}
