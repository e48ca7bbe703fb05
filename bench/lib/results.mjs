// Writes one benchmark's section of bench/RESULTS.md, between its own markers, leaving the others as they are.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const RESULTS = new URL('../RESULTS.md', import.meta.url);
const HEADER = `# lbkit benchmark results

Each section is rewritten by its benchmark; the command under each heading reproduces it.
Figures are compared side by side within one run (ratios matter; absolute numbers depend on the machine).
`;

/** The machine a run was made on, for the section's footer. */
export function machine() {
  return `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the section `name` of RESULTS.md with `markdown`. */
export function writeSection(name, markdown) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : HEADER;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, next);
}
