import type { Picker, Scored } from './types.ts';

export const MAX_SCORE = 'max-score';

/**
 * Best total first. Ties break at random (shuffle, then a stable sort) so equal endpoints
 * share load instead of the first one in the file taking everything.
 */
export const maxScorePicker = (random: () => number = Math.random): Picker => ({
  type: MAX_SCORE,
  pick: (scored) => {
    const order = scored.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i] as Scored;
      order[i] = order[j] as Scored;
      order[j] = t;
    }
    return order.sort((a, b) => b.total - a.total);
  },
});
