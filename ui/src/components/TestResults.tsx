import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Collapse from "@mui/material/Collapse";
import IconButton from "@mui/material/IconButton";
import LinearProgress from "@mui/material/LinearProgress";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useState } from "react";

import { testResults } from "../api";
import type { JobView } from "../bindings/JobView";
import type { TestResultRecord } from "../bindings/TestResultRecord";
import { formatDuration } from "../format";
import { useLoader } from "../hooks";
import { MONO_FONT } from "../theme";
import { AnsiLines } from "./AnsiText";
import { ErrorAlert } from "./ErrorAlert";

const SHOW_STEP = 300;

interface Row extends TestResultRecord {
  job: string;
}

/** Failures first, then skipped, then passed. */
const ORDER: Record<TestResultRecord["status"], number> = { failed: 0, skipped: 1, passed: 2 };

function rank(status: TestResultRecord["status"]): number {
  return ORDER[status];
}

function TestRow({ test, showJob }: { test: Row; showJob: boolean }) {
  const [open, setOpen] = useState(false);
  const failed = test.status === "failed";
  const color = failed ? "error.main" : test.status === "passed" ? "success.main" : "text.secondary";
  const hasDetails = !!test.details || !!test.message;
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
        </Box>
        {showJob ? <Chip size="small" label={test.job} variant="outlined" /> : null}
        <Typography variant="caption" color="text.secondary" sx={{ width: 72, textAlign: "right" }}>
          {formatDuration(test.duration_ms)}
        </Typography>
        {hasDetails ? (
          <IconButton
            size="small"
            onClick={() => setOpen((o) => !o)}
            aria-expanded={open}
            aria-label={open ? "Hide details" : "Show details"}
            data-testid="test-expand"
            sx={{ transform: open ? "rotate(180deg)" : "none", transition: "transform 150ms" }}
          >
            <ExpandMoreIcon fontSize="small" />
          </IconButton>
        ) : (
          <Box sx={{ width: 34 }} />
        )}
      </Stack>
      {hasDetails ? (
        <Collapse in={open} unmountOnExit>
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
              mt: 1,
              mb: 0,
              maxHeight: 400,
              overflow: "auto",
            }}
          >
            <AnsiLines text={test.details ?? test.message ?? ""} />
          </Box>
          <Typography variant="caption" color="text.secondary">
            {test.suite ? `Suite ${test.suite} · ` : ""}
            Report {test.report}
          </Typography>
        </Collapse>
      ) : null}
    </Box>
  );
}

/** Test results of the run's jobs that produced reports: counts, then failures first. */
export function TestResults({ jobs, refreshKey }: { jobs: JobView[]; refreshKey: string }) {
  const withTests = jobs.filter((j) => j.tests.passed + j.tests.failed + j.tests.skipped > 0);
  const ids = withTests.map((j) => j.id).join(",");
  const results = useLoader<Row[]>(withTests.length ? `${ids}|${refreshKey}` : null, async () => {
    const lists = await Promise.all(
      withTests.map(async (j) => (await testResults(j.id)).map((t) => ({ ...t, job: j.name }))),
    );
    return lists.flat();
  });
  const [limit, setLimit] = useState(SHOW_STEP);

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

  const rows = [...(results.data ?? [])].sort((a, b) => rank(a.status) - rank(b.status));
  return (
    <Box data-testid="test-results">
      <Stack direction="row" gap={1} sx={{ p: 2 }} data-testid="test-counts">
        <Chip color="error" variant={counts.failed ? "filled" : "outlined"} label={`${counts.failed} failed`} />
        <Chip color="success" variant="outlined" label={`${counts.passed} passed`} />
        <Chip variant="outlined" label={`${counts.skipped} skipped`} />
      </Stack>
      {results.loading ? <LinearProgress aria-label="Loading test results" /> : null}
      {results.error ? (
        <Box sx={{ px: 2, pb: 2 }}>
          <ErrorAlert error={results.error} title="The test results could not be loaded" onRetry={results.reload} />
        </Box>
      ) : null}
      <Box sx={{ borderTop: 1, borderColor: "divider" }}>
        {rows.slice(0, limit).map((t, i) => (
          <TestRow key={`${t.job}|${t.report}|${t.classname}|${t.name}|${i}`} test={t} showJob={withTests.length > 1} />
        ))}
      </Box>
      {rows.length > limit ? (
        <Box sx={{ p: 1.5, textAlign: "center" }}>
          <Button onClick={() => setLimit((l) => l + SHOW_STEP * 3)}>Show more ({rows.length - limit} left)</Button>
        </Box>
      ) : null}
    </Box>
  );
}
