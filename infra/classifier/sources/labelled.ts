// What every labelled calibration source becomes: requests as the gateway would see them, each
// with the judged quality of a strong and a weak model's answer and a "needs the strong model"
// label defined per source.
import type { ClassifyRequest } from '../../../src/classify/request.ts';
import type { PinnedFile } from './git-file.ts';
import type { PanelSummary } from './panel.ts';

export interface LabelledItem {
  /** Items of one group (the turns of one question) stay together in splits and resamples. */
  group: string;
  request: ClassifyRequest;
  /** Quality of the strong and the weak model's answer, on the source's own scale. */
  strong: number;
  weak: number;
  needsStrong: boolean;
}

export interface LabelledSource {
  /** Short id used in tables and weights.json (`mt-bench`, `arena-bench`, …). */
  name: string;
  title: string;
  /** `fit`: may fit weights and choose settings; `evaluate`: only ever a left-out source (licence). */
  use: 'fit' | 'evaluate';
  license: string;
  /** Where the bytes came from: pinned repository files, or files of a local data folder. */
  files: readonly (PinnedFile | { local: string; bytes: number })[];
  strongModel: string;
  weakModel: string;
  /** What `strong` / `weak` measure. */
  quality: string;
  /** When an item counts as needing the strong model. */
  label: string;
  /** Qualities averaged over panels of models (pre-registered); absent when the source has one pair only. */
  panel?: PanelSummary;
  items: LabelledItem[];
  /** The same prompts judged on the single pair (strongModel against weakModel): the first run's measure. */
  pairItems: LabelledItem[];
}

export const userTurn = (text: string): ClassifyRequest => ({ messages: [{ role: 'user', content: text }] });
