// A failed script's stderr, split for the error it becomes: event texts and the execution's error show
// the error line (`ValueError: bad value`), the script's own traceback goes to the error cause, as
// Cloudify shows a Python script's exception (dsl-and-workflows.md §3.8: message text, error_causes).

const PY_HEADER = /^Traceback \(most recent call last\):$/;
const PY_FRAME = /^\s+File ".*", line \d+/;
const JS_FRAME = /^\s+at .+:\d+:\d+\)?$/;

export interface SplitStderr {
  /** stderr without stack frames: what the error message shows. */
  summary: string;
  /** The script's traceback, when its stderr holds one. */
  traceback?: string;
}

/**
 * Splits a stderr tail: a Python traceback (its header or its `File "…", line N` frames, the tail may
 * have cut the header off) leaves the text before it and its last line (the exception) in the
 * summary; `at …` stack frames (Node and the like) are left out of the summary. Otherwise the summary
 * is the stderr as it is.
 */
export function splitStderr(stderr: string): SplitStderr {
  const lines = stderr.split('\n');
  const py = lines.findIndex((l) => PY_HEADER.test(l) || PY_FRAME.test(l));
  if (py >= 0) {
    const last = lines.slice(py).filter((l) => l.trim() !== '' && !PY_FRAME.test(l));
    const summary = [...lines.slice(0, py), last[last.length - 1] ?? ''].join('\n').trim();
    return { summary, traceback: lines.slice(py).join('\n') };
  }
  if (lines.some((l) => JS_FRAME.test(l))) {
    return {
      summary: lines
        .filter((l) => !JS_FRAME.test(l))
        .join('\n')
        .trim(),
      traceback: stderr,
    };
  }
  return { summary: stderr };
}
