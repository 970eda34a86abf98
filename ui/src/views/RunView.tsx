import ReplayIcon from "@mui/icons-material/Replay";
import PanToolOutlinedIcon from "@mui/icons-material/PanToolOutlined";
import StopIcon from "@mui/icons-material/Stop";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Breadcrumbs from "@mui/material/Breadcrumbs";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Tab from "@mui/material/Tab";
import Tabs from "@mui/material/Tabs";
import Typography from "@mui/material/Typography";
import { useCallback, useState, type ReactNode } from "react";
import { Link as RouterLink, useNavigate, useParams, useSearchParams } from "react-router";

import { cancelRun, getRun, onRunEvent, startRun, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { JobView } from "../bindings/JobView";
import type { RunEventDto } from "../bindings/RunEventDto";
import { Artifacts } from "../components/Artifacts";
import { ErrorAlert } from "../components/ErrorAlert";
import { GatePanel } from "../components/GatePanel";
import { JobGraph } from "../components/JobGraph";
import { LogViewer } from "../components/LogViewer";
import { PageLoading, Section } from "../components/Page";
import { StepList } from "../components/StepList";
import { TestResults } from "../components/TestResults";
import { durationOf, formatDateTime, formatDuration, shortCommit, toMs } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { applyRunEvent, mergeRun } from "../runEvents";
import { STATUS_LABEL, StatusChip, isActive, isFailure } from "../status";
import { MONO_FONT } from "../theme";

type TabName = "log" | "tests" | "artifacts";

/**
 * What to show when no job was chosen: a gate waiting for a person, else the
 * first failure, else what is running, else the first job. Picked once per
 * run and then kept (see `autoPick`), so the panel never jumps as jobs end.
 */
function defaultJob(jobs: JobView[]): JobView | undefined {
  return (
    jobs.find((j) => j.status === "waiting") ??
    jobs.find((j) => isFailure(j.status)) ??
    jobs.find((j) => j.status === "running") ??
    jobs[0]
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div" sx={{ fontWeight: 500 }}>
        {children}
      </Typography>
    </Box>
  );
}

export function RunView() {
  const params = useParams();
  const id = Number(params.id);
  const valid = Number.isInteger(id) && id > 0;
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const run = useLoader(valid ? `run:${id}` : null, () => getRun(id), mergeRun);
  const [tab, setTab] = useState<TabName>("log");
  // The job picked by default when none was chosen, kept across updates so the panel does not jump as the run moves on.
  const [autoPick, setAutoPick] = useState<{ run: number; job: number } | null>(null);
  const [actionError, setActionError] = useState<ErrorDto | null>(null);
  const [cancelling, setCancelling] = useState(false);

  const subscribe = useCallback((h: (e: RunEventDto) => void) => onRunEvent(id, h), [id]);
  useSubscription(valid ? subscribe : null, (event) => {
    run.mutate((r) => applyRunEvent(r, event));
    run.reload();
  });

  const active = run.data ? isActive(run.data.status) : false;
  const now = useNow(1000, active);

  if (!valid) {
    return <ErrorAlert error={{ code: "invalid_input", message: `"${params.id}" is not a run number.`, diagnostics: [] }} />;
  }
  if (run.loading) return <PageLoading />;
  if (!run.data) {
    return (
      <>
        {run.error ? (
          <ErrorAlert
            error={run.error}
            title={run.error.code === "not_found" ? `Run #${id} does not exist` : `Run #${id} could not be loaded`}
            onRetry={run.error.code === "not_found" ? undefined : run.reload}
          />
        ) : null}
        <Button component={RouterLink} to="/" sx={{ mt: 2 }}>
          Back to the overview
        </Button>
      </>
    );
  }

  const current = run.data;
  const { jobs } = current;
  // `?job=<job id>` (a click on a job), or `?job_name=<name>` (a link from elsewhere: the Overview's gates).
  const selectedParam = Number(search.get("job"));
  const selectedName = search.get("job_name");
  const chosen = jobs.find((j) => j.id === selectedParam) ?? jobs.find((j) => j.name === selectedName);
  const kept = autoPick?.run === current.id ? jobs.find((j) => j.id === autoPick.job) : undefined;
  const selected = chosen ?? kept ?? defaultJob(jobs);
  if (!chosen && !kept && selected) {
    // First render of this run without a choice: remember the default (React re-renders at once).
    setAutoPick({ run: current.id, job: selected.id });
  }
  const duration = durationOf(current, now);
  const createdAt = toMs(current.created_at);
  const startedAt = toMs(current.started_at);
  const testCounts = jobs.reduce((n, j) => n + j.tests.failed, 0);
  const testTotal = jobs.reduce((n, j) => n + j.tests.passed + j.tests.failed + j.tests.skipped, 0);
  const artifactCount = jobs.reduce((n, j) => n + j.artifacts.length, 0);
  const jobsOfRun = `${jobs.length === 1 ? "the job" : `all ${jobs.length} jobs`} of run #${current.id}`;
  const isGate = selected?.kind === "approval";
  // Gates waiting for a person other than the one shown below.
  const otherWaiting = jobs.filter((j) => j.status === "waiting" && j.id !== selected?.id);

  const cancel = async () => {
    setCancelling(true);
    setActionError(null);
    try {
      await cancelRun(current.id);
    } catch (error) {
      const e = toErrorDto(error);
      // Already over: the view catches up; anything else is shown.
      if (e.code !== "already_finished") setActionError(e);
      run.reload();
    } finally {
      setCancelling(false);
    }
  };

  const runAgain = async () => {
    setActionError(null);
    try {
      const newId = await startRun(current.project, [], false);
      navigate(`/runs/${newId}`);
    } catch (error) {
      setActionError(toErrorDto(error));
    }
  };

  const pinJob = (key: string) =>
    setSearch(
      (p) => {
        const next = new URLSearchParams(p);
        next.delete("job_name");
        next.set("job", key);
        return next;
      },
      { replace: true },
    );

  const selectJob = (key: string) => {
    pinJob(key);
    setTab("log");
  };

  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }}>
        <Link component={RouterLink} to="/projects" underline="hover" color="inherit">
          Projects
        </Link>
        <Link
          component={RouterLink}
          to={`/projects/${encodeURIComponent(current.project)}`}
          underline="hover"
          color="inherit"
          data-testid="run-project-link"
        >
          {current.project}
        </Link>
        <Typography color="text.primary">Run #{current.id}</Typography>
      </Breadcrumbs>
      <Stack direction="row" alignItems="center" gap={2} flexWrap="wrap" sx={{ mb: 2 }}>
        <Typography variant="h4" component="h1">
          {current.project} <span style={{ opacity: 0.6 }}>#{current.id}</span>
        </Typography>
        <StatusChip status={current.status} size="medium" testId="run-status" />
        <Box sx={{ flex: 1 }} />
        {active ? (
          <Button
            color="error"
            variant="outlined"
            startIcon={<StopIcon />}
            onClick={cancel}
            disabled={cancelling}
            data-testid="run-cancel"
          >
            {cancelling ? "Cancelling…" : "Cancel"}
          </Button>
        ) : (
          <Button variant="outlined" startIcon={<ReplayIcon />} onClick={runAgain} data-testid="run-again">
            Run again
          </Button>
        )}
      </Stack>
      <Paper variant="outlined" sx={{ p: 2, mb: 3 }}>
        <Stack direction="row" gap={4} flexWrap="wrap">
          <Fact label="Branch">{current.branch ?? "—"}</Fact>
          <Fact label="Commit">
            <span style={{ fontFamily: MONO_FONT }} data-testid="run-commit">
              {current.commit ? shortCommit(current.commit) : "—"}
            </span>
            {current.dirty ? (
              <Chip size="small" color="warning" variant="outlined" label="with uncommitted changes" sx={{ ml: 1 }} />
            ) : null}
          </Fact>
          <Fact label="Created">{createdAt !== null ? formatDateTime(createdAt) : "—"}</Fact>
          <Fact label="Started">{startedAt !== null ? formatDateTime(startedAt) : "not yet"}</Fact>
          <Fact label="Duration">
            <span data-testid="run-duration">{formatDuration(duration)}</span>
          </Fact>
        </Stack>
      </Paper>
      {current.error ? (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="run-error">
          <AlertTitle>Switchyard could not run this</AlertTitle>
          {current.error}
        </Alert>
      ) : null}
      {actionError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={actionError} />
        </Box>
      ) : null}
      {run.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={run.error} title="This run could not be refreshed" onRetry={run.reload} />
        </Box>
      ) : null}
      {otherWaiting.length ? (
        <Alert
          severity="warning"
          icon={<PanToolOutlinedIcon fontSize="inherit" />}
          sx={{ mb: 2 }}
          data-testid="run-waiting-gates"
        >
          Waiting for approval:{" "}
          {otherWaiting.map((j, i) => (
            <span key={j.id}>
              {i > 0 ? ", " : ""}
              <Link component="button" type="button" onClick={() => selectJob(String(j.id))} sx={{ verticalAlign: "baseline" }}>
                {j.name}
              </Link>
            </span>
          ))}
        </Alert>
      ) : null}
      <Section title="Jobs">
        {jobs.length ? (
          <JobGraph
            label="Jobs of this run"
            testId="job-graph"
            nodeTestId="job-node"
            selectedKey={selected ? String(selected.id) : undefined}
            onSelect={selectJob}
            jobs={jobs.map((j) => ({
              key: String(j.id),
              name: j.name,
              needs: j.needs,
              status: j.status,
              kind: j.kind,
              detail: [
                j.kind === "approval" && j.status !== "waiting" ? "approval" : null,
                j.started_at !== null || j.duration_ms !== null ? formatDuration(durationOf(j, now)) : null,
                j.attempts > 1 ? `attempt ${j.attempts}` : null,
              ]
                .filter(Boolean)
                .join(" · "),
            }))}
          />
        ) : (
          <Typography color="text.secondary" sx={{ p: 2 }}>
            This run has no jobs.
          </Typography>
        )}
      </Section>
      {selected ? (
        <Section
          title={
            <span>
              {selected.name}{" "}
              <Typography component="span" variant="body2" color="text.secondary">
                · {STATUS_LABEL[selected.status]}
                {isGate ? " · approval" : selected.runner ? ` · runs on ${selected.runner}` : ""}
              </Typography>
            </span>
          }
          testId="job-detail"
        >
          <Box sx={{ px: 2, pt: 1 }}>
            {/* A gate's decision is its reason: the panel below shows it in full. */}
            {selected.reason && !(isGate && selected.approval?.decision) ? (
              <Alert severity={isFailure(selected.status) ? "error" : "info"} sx={{ mb: 1 }} data-testid="job-reason">
                {selected.reason}
              </Alert>
            ) : null}
            {selected.warnings.map((w, i) => (
              <Alert severity="warning" key={i} sx={{ mb: 1 }} data-testid="job-warning">
                {w}
              </Alert>
            ))}
            {isGate ? null : <StepList steps={selected.steps} />}
          </Box>
          <Tabs
            value={tab}
            onChange={(_, v: TabName) => setTab(v)}
            sx={{ px: 2, mt: 1, borderBottom: 1, borderColor: "divider" }}
            aria-label="Job log and run results"
          >
            {/* The selected job's own tab on the left; the whole run's results apart, on the right. */}
            <Tab value="log" label={`${isGate ? "Approval" : "Log"}: ${selected.name}`} data-testid="tab-log" />
            <Tab
              value="tests"
              label={testTotal ? `Run tests (${testCounts ? `${testCounts} failed` : `${testTotal}`})` : "Run tests"}
              title={`Tests of ${jobsOfRun}`}
              data-testid="tab-tests"
              sx={{ ml: "auto" }}
            />
            <Tab
              value="artifacts"
              label={`Run artifacts (${artifactCount})`}
              title={`Artifacts of ${jobsOfRun}`}
              data-testid="tab-artifacts"
            />
          </Tabs>
          <Box sx={{ p: tab === "log" ? 2 : 0 }} role="tabpanel">
            {tab !== "log" ? (
              <Typography variant="body2" color="text.secondary" sx={{ px: 2, pt: 1.5 }} data-testid="run-scope-note">
                {tab === "tests" ? "Tests" : "Artifacts"} of {jobsOfRun}
                {jobs.length > 1 ? `, not only ${selected.name}` : ""}.
              </Typography>
            ) : null}
            {tab === "log" && isGate ? (
              <GatePanel
                key={selected.id}
                runId={current.id}
                job={selected}
                onDecided={() => {
                  // Stay on this gate to see the decision.
                  pinJob(String(selected.id));
                  run.reload();
                }}
              />
            ) : null}
            {tab === "log" && !isGate ? (
              <LogViewer
                key={selected.id}
                jobId={selected.id}
                live={isActive(selected.status)}
                steps={selected.steps}
                fileName={`${current.project}-run${current.id}-${selected.name.replace(/[^A-Za-z0-9._-]+/g, "_")}.log`}
              />
            ) : null}
            {tab === "tests" ? (
              <TestResults
                jobs={jobs}
                refreshKey={jobs.map((j) => `${j.id}:${j.tests.passed}/${j.tests.failed}/${j.tests.skipped}`).join(",")}
              />
            ) : null}
            {tab === "artifacts" ? <Artifacts jobs={jobs} /> : null}
          </Box>
        </Section>
      ) : null}
    </>
  );
}
