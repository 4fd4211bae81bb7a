// Panels of models per source (pre-registered in CALIBRATION.md): a prompt's strong and weak
// quality is the mean over several models of the same class, judged the same way, rather than one
// answer each, so a label rests on more than one sample. A model's class is read off its mean
// quality on the source: within PANEL_BAND (on the source's scale mapped to 0..1) of the issue's
// named strong or weak model.

/** One model's judged quality per prompt on a source. */
export interface JudgedModel {
  /** The name the panel is listed under (file name or generator). */
  model: string;
  /** Prompt id → quality on the source's own scale. */
  quality: ReadonlyMap<string, number>;
}

export interface Panel {
  strong: readonly JudgedModel[];
  weak: readonly JudgedModel[];
  /** Every model considered, with its mean quality mapped to 0..1. */
  candidates: readonly { model: string; mean: number }[];
  band: number;
}

/** Half-width of a class, in units of the source's quality scale mapped to 0..1. */
export const PANEL_BAND = 0.05;

export function meanQuality(m: JudgedModel): number {
  let sum = 0;
  for (const q of m.quality.values()) sum += q;
  return m.quality.size > 0 ? sum / m.quality.size : Number.NaN;
}

/**
 * The strong and weak panels among `models`: every model whose mean quality (mapped to 0..1 by
 * `scale`) lies within `band` of the named model's; the named models always belong. Classes closer
 * than two bands would make the rule ambiguous: that is an error, not a guess.
 */
export function choosePanel(
  models: readonly JudgedModel[],
  named: { strong: string; weak: string },
  scale: { min: number; max: number },
  band = PANEL_BAND,
): Panel {
  const unit = (q: number) => (q - scale.min) / (scale.max - scale.min);
  const candidates = models.map((m) => ({ model: m.model, mean: unit(meanQuality(m)) }));
  const meanOf = (name: string) => {
    const c = candidates.find((x) => x.model === name);
    if (c === undefined || Number.isNaN(c.mean)) throw new Error(`panel: the named model ${name} has no judged prompts`);
    return c.mean;
  };
  const strongMean = meanOf(named.strong);
  const weakMean = meanOf(named.weak);
  if (strongMean - weakMean <= 2 * band) {
    throw new Error(`panel: ${named.strong} (${strongMean.toFixed(3)}) and ${named.weak} (${weakMean.toFixed(3)}) are within two bands of each other`);
  }
  return { strong: classMembers(models, named.strong, scale, band), weak: classMembers(models, named.weak, scale, band), candidates, band };
}

/** `named` and every model whose mean quality (mapped to 0..1 by `scale`) lies within `band` of its. */
export function classMembers(models: readonly JudgedModel[], named: string, scale: { min: number; max: number }, band = PANEL_BAND): JudgedModel[] {
  const unit = (m: JudgedModel) => (meanQuality(m) - scale.min) / (scale.max - scale.min);
  const centre = models.find((m) => m.model === named);
  if (centre === undefined || centre.quality.size === 0) throw new Error(`panel: the named model ${named} has no judged prompts`);
  const c = unit(centre);
  return models.filter((m) => m === centre || Math.abs(unit(m) - c) <= band + 1e-12);
}

/** Mean quality of `prompt` over the members judged on it; undefined when none was. */
export function panelQuality(members: readonly JudgedModel[], prompt: string): number | undefined {
  let sum = 0;
  let n = 0;
  for (const m of members) {
    const q = m.quality.get(prompt);
    if (q !== undefined) {
      sum += q;
      n++;
    }
  }
  return n > 0 ? sum / n : undefined;
}

/** What the report says about a source's panel. */
export interface PanelSummary {
  strong: readonly string[];
  weak: readonly string[];
  candidates: number;
  band: number;
}

export const summarizePanel = (p: Panel): PanelSummary => ({
  strong: p.strong.map((m) => m.model),
  weak: p.weak.map((m) => m.model),
  candidates: p.candidates.length,
  band: p.band,
});
