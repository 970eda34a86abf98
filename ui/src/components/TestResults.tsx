import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import ManageSearchIcon from "@mui/icons-material/ManageSearch";
import SearchIcon from "@mui/icons-material/Search";
import SubjectIcon from "@mui/icons-material/Subject";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Collapse from "@mui/material/Collapse";
import IconButton from "@mui/material/IconButton";
import InputAdornment from "@mui/material/InputAdornment";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { Fragment, useMemo, useState } from "react";
import { Link as RouterLink } from "react-router";

import { searchLog, testHistory, testResults, toErrorDto } from "../api";
import { stripAnsi, unescapeAnsi } from "../ansi";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { JobView } from "../bindings/JobView";
import type { TestOutcomeView } from "../bindings/TestOutcomeView";
import type { TestResultRecord } from "../bindings/TestResultRecord";
import { formatDateTime, formatDuration, shortCommit, toMs } from "../format";
import { useLoader } from "../hooks";
import { runJobRoute } from "../links";
import { MONO_FONT } from "../theme";
import { AnsiLines } from "./AnsiText";
import { ErrorAlert } from "./ErrorAlert";

const SHOW_STEP = 300;

/** Job names listed in a group's "failed in N jobs: …" before "and N more". */
const GROUP_NAMES_SHOWN = 6;

/** The longest text "Show in log" searches for (a prefix of a longer name or message line still matches). */
const LOG_QUERY_MAX = 120;

interface Row extends TestResultRecord {
  job: string;
  jobId: number;
}

/**
 * A row of the list: one test case, or one failing test (same class and
 * name) that failed in several jobs (a matrix), `members` in job order.
 */
interface Group {
  key: string;
  test: Row;
  members: Row[];
}

/** The failures of the same test (class and name) in several jobs become one row; everything else stays one row per case. */
export function groupTests(rows: Row[]): Group[] {
  const groups: Group[] = [];
  const failures = new Map<string, Group>();
  rows.forEach((t, i) => {
    if (t.status === "failed") {
      const id = `${t.classname ?? ""}\u0000${t.name}`;
      const known = failures.get(id);
      if (known) {
        known.members.push(t);
        return;
      }
      const group = { key: `f|${id}`, test: t, members: [t] };
      failures.set(id, group);
      groups.push(group);
    } else {
      groups.push({ key: `${t.status}|${t.job}|${t.report}|${t.classname}|${t.name}|${i}`, test: t, members: [t] });
    }
  });
  return groups;
}

/** At most `LOG_QUERY_MAX` characters of `text`, trimmed. */
function clip(text: string): string {
  return Array.from(text.trim()).slice(0, LOG_QUERY_MAX).join("").trim();
}

/**
 * What "Show in log" searches a failed test's job log for, most specific
 * first: the test's name (pytest, cargo test, JUnit and go test print it on
 * the failure's lines), the first non-empty line of its message without
 * escape codes, then its class. Empty and repeated texts are left out.
 */
export function logQueries(test: Pick<TestResultRecord, "name" | "message" | "classname">): string[] {
  const firstLine =
    (test.message ?? "")
      .split(/\r?\n/)
      .map((line) => stripAnsi(unescapeAnsi(line)).trim())
      .find((line) => line !== "") ?? "";
  const queries: string[] = [];
  for (const text of [test.name, firstLine, test.classname ?? ""]) {
    const q = clip(text);
    if (q !== "" && !queries.includes(q)) queries.push(q);
  }
  return queries;
}

/** The first line (1-based) of job `jobId`'s log that contains one of `queries`, tried in order; null when none does. */
async function findInLog(jobId: number, queries: string[]): Promise<number | null> {
  for (const query of queries) {
    // `from` 0: the first line of the log is searched too.
    const line = await searchLog(jobId, query, 0, false);
    if (line !== null) return line;
  }
  return null;
}

/** Where a row's "Show in log" is: searching, found nothing, or failed to search. */
type LogSearch = { state: "idle" } | { state: "searching" } | { state: "not-found"; job: string } | { state: "error"; error: ErrorDto };

/** Whether a row's name, class or failure message contains `query` (any case). */
function matches(group: Group, query: string): boolean {
  if (query === "") return true;
  return group.members.some((t) =>
    [t.name, t.classname, t.message].some((field) => field !== null && field.toLowerCase().includes(query)),
  );
}

function historyColor(status: string): string {
  if (status === "passed") return "success.main";
  if (status === "failed" || status === "error") return "error.main";
  return "text.disabled";
}

/** The test's outcomes in the project's latest runs (`test_history`), newest first: squares linking to each run on that job. */
function TestHistory({ test, runId }: { test: Row; runId?: number }) {
  const history = useLoader<TestOutcomeView[]>(`${test.jobId}|${test.classname ?? ""}|${test.name}`, () =>
    testHistory(test.jobId, test.classname, test.name),
  );
  const outcomes = history.data ?? [];
  return (
    <Box data-testid="test-history" sx={{ mt: 1 }}>
      <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 0.5 }}>
        Recent runs of this test, newest first
      </Typography>
      {history.loading ? <LinearProgress aria-label="Loading the test's history" sx={{ maxWidth: 240 }} /> : null}
      {history.error ? (
        <ErrorAlert error={history.error} title="The test's history could not be loaded" onRetry={history.reload} />
      ) : null}
      {history.data && outcomes.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No earlier outcome recorded.
        </Typography>
      ) : null}
      <Stack direction="row" gap={0.75} flexWrap="wrap" component="ol" sx={{ listStyle: "none", p: 0, m: 0 }}>
        {outcomes.map((o, i) => {
          const at = toMs(o.created_at);
          const label = `Run #${o.run_id} · ${o.job} · ${o.status}${at !== null ? ` · ${formatDateTime(at)}` : ""}${
            o.commit ? ` · ${shortCommit(o.commit)}` : ""
          }`;
          return (
            <li key={`${o.run_id}|${o.job}|${i}`}>
              <Link
                component={RouterLink}
                to={runJobRoute(o.run_id, o.job)}
                underline="hover"
                color="text.secondary"
                title={label}
                aria-label={label}
                data-testid="test-history-item"
                data-status={o.status}
                data-run-id={o.run_id}
                sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, fontSize: 12, fontFamily: MONO_FONT }}
              >
                <Box
                  component="span"
                  sx={{
                    width: 12,
                    height: 12,
                    borderRadius: 0.5,
                    bgcolor: historyColor(o.status),
                    outline: o.run_id === runId ? 2 : 0,
                    outlineColor: "text.primary",
                    outlineOffset: 1,
                  }}
                />
                #{o.run_id}
              </Link>
            </li>
          );
        })}
      </Stack>
    </Box>
  );
}

/** Failures first, then skipped, then passed. */
const ORDER: Record<TestResultRecord["status"], number> = { failed: 0, skipped: 1, passed: 2 };

function rank(status: TestResultRecord["status"]): number {
  return ORDER[status];
}

function TestRow({
  group,
  showJob,
  runId,
  onOpenLog,
}: {
  group: Group;
  showJob: boolean;
  runId?: number;
  onOpenLog?: (jobId: number, line?: number) => void;
}) {
  const [open, setOpen] = useState(false);
  const [logSearch, setLogSearch] = useState<LogSearch>({ state: "idle" });
  const test = group.test;
  const failed = test.status === "failed";
  const color = failed ? "error.main" : test.status === "passed" ? "success.main" : "text.secondary";
  const several = group.members.length > 1;
  const withDetails = group.members.filter((t) => t.details || t.message);
  const names = group.members.map((t) => t.job);

  /** Finds the failure in its job's log (searched only now: a run can have hundreds of failures), then opens the log there. */
  const showInLog = async () => {
    if (!onOpenLog) return;
    setLogSearch({ state: "searching" });
    let line: number | null;
    try {
      line = await findInLog(test.jobId, logQueries(test));
    } catch (error) {
      setLogSearch({ state: "error", error: toErrorDto(error) });
      return;
    }
    if (line === null) {
      setLogSearch({ state: "not-found", job: test.job });
      return;
    }
    setLogSearch({ state: "idle" });
    onOpenLog(test.jobId, line);
  };
  const searching = logSearch.state === "searching";
  return (
    <Box data-testid="test-row" data-status={test.status} sx={{ borderBottom: 1, borderColor: "divider", px: 2, py: 1 }}>
      <Stack direction="row" alignItems="center" gap={1.5}>
        <Typography variant="caption" sx={{ color, fontWeight: 700, width: 56, textTransform: "uppercase" }}>
          {test.status}
        </Typography>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography variant="body2" sx={{ fontWeight: 600, wordBreak: "break-word" }}>
            {test.classname ? <span style={{ opacity: 0.7, fontWeight: 400 }}>{test.classname} › </span> : null}
            {test.name}
          </Typography>
          {several ? (
            <Typography variant="body2" color="error" data-testid="test-group" data-count={group.members.length}>
              failed in {group.members.length} jobs:{" "}
              {group.members.slice(0, GROUP_NAMES_SHOWN).map((t, i) => (
                <Fragment key={`${t.jobId}|${i}`}>
                  {i > 0 ? ", " : ""}
                  {onOpenLog ? (
                    <Link
                      component="button"
                      type="button"
                      onClick={() => onOpenLog(t.jobId)}
                      title={`Open the log of ${t.job}`}
                      data-testid="test-group-job"
                      data-job={t.job}
                      sx={{ verticalAlign: "baseline" }}
                    >
                      {t.job}
                    </Link>
                  ) : (
                    <span data-testid="test-group-job" data-job={t.job}>
                      {t.job}
                    </span>
                  )}
                </Fragment>
              ))}
              {names.length > GROUP_NAMES_SHOWN ? ` and ${names.length - GROUP_NAMES_SHOWN} more` : ""}
            </Typography>
          ) : null}
          {failed && test.message ? (
            <Typography
              variant="body2"
              color="error"
              sx={{ fontFamily: MONO_FONT, fontSize: 12, wordBreak: "break-word" }}
              data-testid="test-message"
            >
              <AnsiLines text={test.message} />
            </Typography>
          ) : null}
          {logSearch.state === "not-found" ? (
            <Typography variant="body2" color="text.secondary" data-testid="test-log-not-found" role="status">
              Not found in the log of {logSearch.job}.
            </Typography>
          ) : null}
          {logSearch.state === "error" ? (
            <Box sx={{ mt: 0.5 }}>
              <ErrorAlert error={logSearch.error} title="The log could not be searched" testId="test-log-error" />
            </Box>
          ) : null}
        </Box>
        {showJob && !several ? <Chip size="small" label={test.job} variant="outlined" /> : null}
        {failed && onOpenLog ? (
          <Button
            size="small"
            startIcon={searching ? <CircularProgress size={14} color="inherit" data-testid="test-log-searching" /> : <ManageSearchIcon fontSize="small" />}
            onClick={() => void showInLog()}
            disabled={searching}
            aria-busy={searching}
            title={`Find this failure in the log of ${test.job}`}
            data-testid="test-log-link"
            data-job={test.job}
          >
            {searching ? "Searching…" : "Show in log"}
          </Button>
        ) : null}
        {failed && onOpenLog ? (
          <Button
            size="small"
            startIcon={<SubjectIcon fontSize="small" />}
            onClick={() => onOpenLog(test.jobId)}
            title={`Open the log of ${test.job}`}
            data-testid="test-open-log"
            data-job={test.job}
          >
            Open log
          </Button>
        ) : null}
        <Typography variant="caption" color="text.secondary" sx={{ width: 72, textAlign: "right" }}>
          {formatDuration(test.duration_ms)}
        </Typography>
        <IconButton
          size="small"
          onClick={() => setOpen((o) => !o)}
          aria-expanded={open}
          aria-label={open ? "Hide details" : "Show details and history"}
          data-testid="test-expand"
          sx={{ transform: open ? "rotate(180deg)" : "none", transition: "transform 150ms" }}
        >
          <ExpandMoreIcon fontSize="small" />
        </IconButton>
      </Stack>
      <Collapse in={open} unmountOnExit>
        {withDetails.map((t, i) => (
          <Box key={`${t.jobId}|${i}`}>
            {several ? (
              <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1, fontWeight: 600 }}>
                {t.job}
              </Typography>
            ) : null}
            <Box
              component="pre"
              data-testid="test-details"
              sx={{
                fontFamily: MONO_FONT,
                fontSize: 12,
                whiteSpace: "pre-wrap",
                wordBreak: "break-word",
                bgcolor: "action.hover",
                p: 1.5,
                borderRadius: 1,
                mt: several ? 0.5 : 1,
                mb: 0,
                maxHeight: 400,
                overflow: "auto",
              }}
            >
              <AnsiLines text={t.details ?? t.message ?? ""} />
            </Box>
          </Box>
        ))}
        {withDetails.length ? (
          <Typography variant="caption" color="text.secondary">
            {test.suite ? `Suite ${test.suite} · ` : ""}
            Report {test.report}
          </Typography>
        ) : null}
        <TestHistory test={test} runId={runId} />
      </Collapse>
    </Box>
  );
}

/**
 * Test results of the run's jobs that produced reports: counts, a search,
 * then failures first (a test failing in several jobs once, naming them),
 * each with "Show in log" (the job's log at the failure's first line, found
 * by `search_log` on click), "Open log" (`onOpenLog`: that job's log) and,
 * expanded, its details and recent history.
 */
export function TestResults({
  jobs,
  refreshKey,
  runId,
  onOpenLog,
}: {
  jobs: JobView[];
  refreshKey: string;
  /** The run shown (marked in a test's history). */
  runId?: number;
  /** Shows a job's log (the run page selects that job), at line `line` (1-based) when given. */
  onOpenLog?: (jobId: number, line?: number) => void;
}) {
  const withTests = jobs.filter((j) => j.tests.passed + j.tests.failed + j.tests.skipped > 0);
  const ids = withTests.map((j) => j.id).join(",");
  const results = useLoader<Row[]>(withTests.length ? `${ids}|${refreshKey}` : null, async () => {
    const lists = await Promise.all(
      withTests.map(async (j) => (await testResults(j.id)).map((t) => ({ ...t, job: j.name, jobId: j.id }))),
    );
    return lists.flat();
  });
  const [limit, setLimit] = useState(SHOW_STEP);
  const [query, setQuery] = useState("");
  const groups = useMemo(
    () => groupTests([...(results.data ?? [])].sort((a, b) => rank(a.status) - rank(b.status))),
    [results.data],
  );

  const counts = withTests.reduce(
    (acc, j) => ({
      passed: acc.passed + j.tests.passed,
      failed: acc.failed + j.tests.failed,
      skipped: acc.skipped + j.tests.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );

  if (withTests.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ p: 2 }} data-testid="tests-empty">
        No test report was collected in this run. Add <code>reports: junit: …</code> to a job to see its tests here.
      </Typography>
    );
  }

  const q = query.trim().toLowerCase();
  const rows = q ? groups.filter((g) => matches(g, q)) : groups;
  return (
    <Box data-testid="test-results">
      <Stack direction="row" gap={1} alignItems="center" flexWrap="wrap" sx={{ p: 2 }}>
        <Stack direction="row" gap={1} data-testid="test-counts">
          <Chip color="error" variant={counts.failed ? "filled" : "outlined"} label={`${counts.failed} failed`} />
          <Chip color="success" variant="outlined" label={`${counts.passed} passed`} />
          <Chip variant="outlined" label={`${counts.skipped} skipped`} />
        </Stack>
        <Box sx={{ flex: 1 }} />
        <TextField
          size="small"
          placeholder="Search tests"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          sx={{ width: 280 }}
          slotProps={{
            htmlInput: { "data-testid": "test-search", "aria-label": "Search tests by name, class or message" },
            input: {
              startAdornment: (
                <InputAdornment position="start">
                  <SearchIcon fontSize="small" />
                </InputAdornment>
              ),
            },
          }}
        />
      </Stack>
      {results.loading ? <LinearProgress aria-label="Loading test results" /> : null}
      {results.error ? (
        <Box sx={{ px: 2, pb: 2 }}>
          <ErrorAlert error={results.error} title="The test results could not be loaded" onRetry={results.reload} />
        </Box>
      ) : null}
      <Box sx={{ borderTop: 1, borderColor: "divider" }}>
        {rows.slice(0, limit).map((g) => (
          <TestRow key={g.key} group={g} showJob={withTests.length > 1} runId={runId} onOpenLog={onOpenLog} />
        ))}
      </Box>
      {q && results.data && rows.length === 0 ? (
        <Typography color="text.secondary" sx={{ p: 2 }}>
          No test matches “{query.trim()}”.
        </Typography>
      ) : null}
      {rows.length > limit ? (
        <Box sx={{ p: 1.5, textAlign: "center" }}>
          <Button onClick={() => setLimit((l) => l + SHOW_STEP * 3)}>Show more ({rows.length - limit} left)</Button>
        </Box>
      ) : null}
    </Box>
  );
}
