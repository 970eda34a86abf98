import AddIcon from "@mui/icons-material/Add";
import PlayArrowIcon from "@mui/icons-material/PlayArrow";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useState } from "react";
import { useNavigate } from "react-router";

import { firstRun, importDemo, onProjects, onRuns, overview, startRun, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import { ErrorAlert } from "../components/ErrorAlert";
import { EmptyNote, PageHeader, PageLoading, Section } from "../components/Page";
import { RunList } from "../components/RunList";
import { WaitingGates } from "../components/WaitingGates";
import { useLoader, useSubscription } from "../hooks";
import { useImport } from "../importing";

function Welcome({ demo }: { demo: boolean }) {
  const { openImport, projectAdded } = useImport();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);

  const runDemo = async () => {
    setBusy(true);
    setError(null);
    try {
      const project = await importDemo();
      projectAdded();
      const id = await startRun(project.name, [], false, false, null);
      navigate(`/runs/${id}`);
    } catch (e) {
      setError(toErrorDto(e));
      setBusy(false);
    }
  };

  return (
    <Paper variant="outlined" sx={{ p: 4, maxWidth: 720 }} data-testid="overview-empty">
      <Typography variant="h5" component="h2" sx={{ mb: 1 }}>
        Welcome to Switchyard
      </Typography>
      <Typography sx={{ mb: 1 }}>
        Switchyard runs your projects' pipelines on this machine and keeps every run's logs, test results and
        artifacts.
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 3 }}>
        Start by importing a project folder. If it has no <code>switchyard.yaml</code> yet, Switchyard proposes one
        for its stack. You can also drop a folder onto this window.
      </Typography>
      <Stack direction="row" gap={1.5} flexWrap="wrap">
        {demo ? (
          <Button
            variant="contained"
            size="large"
            startIcon={<PlayArrowIcon />}
            onClick={runDemo}
            disabled={busy}
            data-testid="first-run-demo"
          >
            {busy ? "Starting the demo…" : "Import the demo project and run it"}
          </Button>
        ) : null}
        <Button
          variant={demo ? "outlined" : "contained"}
          size="large"
          startIcon={<AddIcon />}
          onClick={() => openImport()}
          data-testid="overview-import"
        >
          Import a project
        </Button>
      </Stack>
      {error ? (
        <Box sx={{ mt: 2 }}>
          <ErrorAlert error={error} title="The demo could not start" />
        </Box>
      ) : null}
    </Paper>
  );
}

/** "main, master", each name in code type. */
function branchList(branches: string[]) {
  if (branches.length === 0) return "none set";
  return branches.map((b, i) => (
    <span key={b}>
      {i > 0 ? ", " : ""}
      <code>{b}</code>
    </span>
  ));
}

export function OverviewView() {
  const ov = useLoader("overview", overview);
  const first = useLoader("first-run", firstRun);
  const { openImport } = useImport();
  // A run changed status or one of its jobs did (a gate started waiting or was decided).
  useSubscription(onRuns, () => ov.reload());
  // A project imported or changed here or by another process (the CLI).
  useSubscription(onProjects, () => ov.reload());

  if (ov.loading) return <PageLoading />;
  if (!ov.data) {
    return (
      <>
        <PageHeader title="Overview" />
        {ov.error ? <ErrorAlert error={ov.error} title="The overview could not be loaded" onRetry={ov.reload} /> : null}
      </>
    );
  }
  const data = ov.data;
  const demo = !!first.data?.empty && first.data.demo_available;

  if (data.projects === 0) {
    return (
      <>
        <PageHeader title="Overview" />
        <Welcome demo={demo} />
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Overview"
        subtitle={`${data.projects} project${data.projects === 1 ? "" : "s"}`}
        actions={
          <Button startIcon={<AddIcon />} variant="outlined" onClick={() => openImport()} data-testid="overview-import">
            Import project
          </Button>
        }
      />
      {ov.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={ov.error} title="The overview could not be refreshed" onRetry={ov.reload} />
        </Box>
      ) : null}
      {data.waiting.length ? (
        <Section title={`Waiting for approval (${data.waiting.length})`} testId="overview-waiting">
          <WaitingGates gates={data.waiting} />
        </Section>
      ) : null}
      <Section title={`In progress (${data.active.length})`} testId="overview-active">
        {data.active.length ? <RunList runs={data.active} label="Runs in progress" /> : <EmptyNote>Nothing is running.</EmptyNote>}
      </Section>
      <Section title="Failing main branches" testId="overview-failing">
        <Typography variant="body2" color="text.secondary" sx={{ px: 2, pt: 1.5 }} data-testid="overview-failing-rule">
          Projects whose latest finished run on a main branch (
          <span data-testid="overview-default-branches">{branchList(data.default_branches)}</span>) did not succeed; a
          project that never ran on one counts by its latest finished run. The main branches are{" "}
          <code>default_branches</code> in the <code>[projects]</code> table of config.toml.
        </Typography>
        {data.failing.length ? (
          <RunList runs={data.failing} label="Failing main branches" />
        ) : (
          <EmptyNote>No main branch is failing.</EmptyNote>
        )}
      </Section>
      <Section title="Recent runs" testId="overview-recent">
        {data.recent.length ? (
          <RunList runs={data.recent} label="Recent runs" />
        ) : (
          <EmptyNote>No runs yet. Open a project and press Run.</EmptyNote>
        )}
      </Section>
    </>
  );
}
