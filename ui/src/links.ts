// `switchyard://` links the app hands out, and the routes they open.

/**
 * The link to line `line` (1-based) of job `job`'s log in run `runId`:
 * `switchyard://runs/<id>/jobs/<job>#L<n>`, the job's name percent-encoded
 * (a matrix job: `test%20(py%3D3.12)`). The shell opens it as a `run_job` deep link.
 */
export function logLineLink(runId: number, job: string, line: number): string {
  return `switchyard://runs/${runId}/jobs/${encodeURIComponent(job)}#L${line}`;
}

/**
 * The run page on job `job` (by name; `?job_name=`), its log at line `line`
 * when given (`&line=`).
 */
export function runJobRoute(runId: number, job: string, line?: number | null): string {
  const params = new URLSearchParams({ job_name: job });
  if (line !== undefined && line !== null && Number.isInteger(line) && line > 0) params.set("line", String(line));
  return `/runs/${runId}?${params.toString()}`;
}

/** A `?line=` value: a positive whole number, else null. */
export function parseLine(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * Puts `text` on the clipboard: the Clipboard API, else a hidden text area
 * and `execCommand("copy")`. Resolves to false when neither works (the
 * caller shows the text instead).
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission, not focused): try the old way.
  }
  try {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = typeof document.execCommand === "function" && document.execCommand("copy");
    area.remove();
    return ok;
  } catch {
    return false;
  }
}
