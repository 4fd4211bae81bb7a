/** Where commands report: stdout lines for progress and results, stderr for problems. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const consoleIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** "[2/6] context      gke_… found": numbered steps, so a long run shows where it is. */
export function stepper(io: Io, total: number): (label: string, detail: string) => void {
  let n = 0;
  return (label, detail) => {
    n += 1;
    io.out(`[${n}/${total}] ${label.padEnd(13)} ${detail}`);
  };
}
