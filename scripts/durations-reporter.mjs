// A node:test reporter that prints, when a run ends, the test files that took longest (the sum of their
// top-level tests and suites; a file's imports and hooks outside them are not counted). scripts/test.mjs
// adds it beside the usual TAP output, so every CI log shows where the time went.
const SHOWN = 15;

export default async function* durations(source) {
  const perFile = new Map();
  for await (const event of source) {
    // The run's counts end with `todo N`: summarise then (with --test-force-exit the process ends before
    // the stream and its last diagnostics).
    if (event.type === 'test:diagnostic' && /^todo \d+$/.test(event.data.message)) yield summary(perFile);
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, name, details } = event.data;
    if (nesting !== 0 || !file) continue;
    // A suite declared by a helper (forEachDriver) is named with it: the helper is not where it runs.
    const key = file.includes('/test/helpers/') ? `${file}: ${name}` : file;
    perFile.set(key, (perFile.get(key) ?? 0) + (details?.duration_ms ?? 0));
  }
}

function summary(perFile) {
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  const cwd = `${process.cwd()}/`;
  const lines = slowest.map(
    ([f, ms]) => `#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${f.replace(cwd, '')}\n`,
  );
  return `# the ${slowest.length} slowest of ${perFile.size} files:\n${lines.join('')}`;
}
