import DeleteOutlineIcon from "@mui/icons-material/DeleteOutline";
import EditOutlinedIcon from "@mui/icons-material/EditOutlined";
import PlayArrowIcon from "@mui/icons-material/PlayArrow";
import RefreshIcon from "@mui/icons-material/Refresh";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Breadcrumbs from "@mui/material/Breadcrumbs";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Link from "@mui/material/Link";
import Stack from "@mui/material/Stack";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";
import { Link as RouterLink, useLocation, useNavigate, useParams } from "react-router";

import { onProjects, onRuns, projectDetail } from "../api";
import type { PipelineView } from "../bindings/PipelineView";
import { DiagnosticList, ErrorAlert } from "../components/ErrorAlert";
import { JobGraph } from "../components/JobGraph";
import { PageHeader, PageLoading, Section } from "../components/Page";
import { RemoveProjectDialog, removedNotice } from "../components/RemoveProjectDialog";
import { RunHistory } from "../components/RunHistory";
import { RunOptionsDialog } from "../components/RunOptionsDialog";
import { shortCommit } from "../format";
import { useLoader, useSubscription } from "../hooks";
import { useNotify } from "../notify";
import { planGraphJobs } from "../plan";
import { useShortcut } from "../shortcuts";
import { StatusChip } from "../status";
import { MONO_FONT } from "../theme";

function PipelineSection({ pipeline, onReload }: { pipeline: PipelineView; onReload: () => void }) {
  const reload = (
    <Button size="small" startIcon={<RefreshIcon />} onClick={onReload} data-testid="pipeline-reload">
      Reload
    </Button>
  );
  return (
    <Section title="Pipeline" action={reload} testId="pipeline">
      <Box sx={{ p: 1 }} data-state={pipeline.state} data-testid="pipeline-state">
        {pipeline.state === "valid" ? (
          <JobGraph
            label="Pipeline graph"
            testId="pipeline-graph"
            nodeTestId="plan-job"
            jobs={planGraphJobs(pipeline.plan, { conditions: true })}
          />
        ) : null}
        {pipeline.state === "invalid" ? (
          <Alert severity="error" sx={{ m: 1 }}>
            <AlertTitle>
              switchyard.yaml has {pipeline.diagnostics.length} problem{pipeline.diagnostics.length === 1 ? "" : "s"}
            </AlertTitle>
            Runs can start again once the file is fixed: fix it with Edit pipeline (or in your own editor, then press
            Reload).
            <DiagnosticList diagnostics={pipeline.diagnostics} testId="pipeline-diagnostic" />
          </Alert>
        ) : null}
        {pipeline.state === "missing" ? (
          <Alert severity="warning" sx={{ m: 1 }}>
            This project has no switchyard.yaml. Write one with Edit pipeline (or add it at the root of its folder, then
            press Reload).
          </Alert>
        ) : null}
      </Box>
    </Section>
  );
}

/**
 * The route state that opens the Run dialog once the project is shown (the
 * command palette's "Run project …"); dropped from the history entry at once.
 */
export interface ProjectLocationState {
  openRun?: boolean;
}

export function ProjectView() {
  const { name = "" } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const notify = useNotify();
  const detail = useLoader(`project:${name}`, () => projectDetail(name));
  const [runDialog, setRunDialog] = useState(0);
  const [removing, setRemoving] = useState(false);
  const valid = detail.data?.pipeline.state === "valid";
  const loaded = detail.data !== undefined;
  const openRunAsked = (location.state as ProjectLocationState | null)?.openRun === true;

  // Asked to open the Run dialog (as `r` does) once the pipeline is known;
  // then the state goes, so Back or a reload does not open it again.
  const [runAskedAt, setRunAskedAt] = useState<string | null>(null);
  if (openRunAsked && loaded && runAskedAt !== location.key) {
    setRunAskedAt(location.key);
    if (valid) setRunDialog((n) => n + 1);
  }
  useEffect(() => {
    if (openRunAsked && loaded) navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: null });
  }, [openRunAsked, loaded, navigate, location.pathname, location.search]);

  useSubscription(onRuns, (run) => {
    if (run.project !== name) return;
    detail.mutate((d) =>
      !d.project.last_run || run.id >= d.project.last_run.id ? { ...d, project: { ...d.project, last_run: run } } : d,
    );
    if (run.branch && !detail.data?.branches.includes(run.branch)) detail.reload();
  });
  // This project was changed (imported again, by the CLI perhaps).
  useSubscription(onProjects, (changed) => {
    if (changed.name === name) detail.reload();
  });

  const openRun = () => {
    if (valid) setRunDialog((n) => n + 1);
  };
  useShortcut("r", "Run this project", openRun, valid);
  // Offered whatever the pipeline's state: an invalid or missing one is when it is needed most.
  const editPath = `/projects/${encodeURIComponent(name)}/pipeline`;
  useShortcut("e", "Edit the pipeline (switchyard.yaml)", () => navigate(editPath), loaded);

  if (detail.loading) return <PageLoading />;
  if (!detail.data) {
    return (
      <>
        <PageHeader title={name} />
        {detail.error ? (
          <ErrorAlert
            error={detail.error}
            title={detail.error.code === "not_found" ? "No such project" : "The project could not be loaded"}
            onRetry={detail.error.code === "not_found" ? undefined : detail.reload}
          />
        ) : null}
        <Button component={RouterLink} to="/projects" sx={{ mt: 2 }}>
          Back to projects
        </Button>
      </>
    );
  }

  const { project, git, pipeline, branches } = detail.data;
  const lastCommit = git?.commits[0];
  const removeButton = (
    <Button
      variant="outlined"
      color="inherit"
      startIcon={<DeleteOutlineIcon />}
      onClick={() => setRemoving(true)}
      data-testid="project-remove"
    >
      Remove project
    </Button>
  );
  const editButton = (
    <Button
      variant="outlined"
      startIcon={<EditOutlinedIcon />}
      component={RouterLink}
      to={editPath}
      data-testid="pipeline-edit"
      aria-keyshortcuts="e"
    >
      Edit pipeline
    </Button>
  );
  const runButton = (
    <Button
      variant="contained"
      startIcon={<PlayArrowIcon />}
      onClick={openRun}
      disabled={!valid}
      data-testid="run-button"
      aria-keyshortcuts="r"
    >
      Run
    </Button>
  );

  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }}>
        <Link component={RouterLink} to="/projects" underline="hover" color="inherit">
          Projects
        </Link>
        <Typography color="text.primary">{project.name}</Typography>
      </Breadcrumbs>
      <PageHeader
        title={project.name}
        subtitle={
          <Stack gap={0.5}>
            <Box sx={{ fontFamily: MONO_FONT, fontSize: 12, wordBreak: "break-all" }}>{project.path}</Box>
            <Stack direction="row" gap={1} alignItems="center" flexWrap="wrap">
              {git?.branch ? <Chip size="small" label={`branch ${git.branch}`} /> : null}
              {git?.dirty ? <Chip size="small" color="warning" variant="outlined" label="uncommitted changes" /> : null}
              {project.remote ? <span style={{ fontFamily: MONO_FONT, fontSize: 12 }}>{project.remote}</span> : null}
              {lastCommit ? (
                <span>
                  <code style={{ fontFamily: MONO_FONT }}>{shortCommit(lastCommit.id)}</code> {lastCommit.summary}
                </span>
              ) : null}
              {project.last_run ? (
                <>
                  <span>Last run:</span>
                  <Link component={RouterLink} to={`/runs/${project.last_run.id}`}>
                    #{project.last_run.id}
                  </Link>
                  <StatusChip status={project.last_run.status} />
                </>
              ) : null}
            </Stack>
          </Stack>
        }
        actions={
          <>
            {removeButton}
            {editButton}
            {valid ? (
              runButton
            ) : (
              <Tooltip title="Fix the pipeline first: see the problems below.">
                <span>{runButton}</span>
              </Tooltip>
            )}
          </>
        }
      />
      <PipelineSection pipeline={pipeline} onReload={detail.reload} />
      <Section title="Runs" testId="history">
        <RunHistory project={project.name} branches={branches} />
      </Section>
      {runDialog > 0 ? (
        <RunOptionsDialog
          key={runDialog}
          open
          project={project.name}
          plan={pipeline.plan}
          onClose={() => setRunDialog(0)}
          onStarted={(id) => navigate(`/runs/${id}`)}
        />
      ) : null}
      {removing ? (
        <RemoveProjectDialog
          project={project}
          onClose={() => setRemoving(false)}
          onRemoved={(removed) => {
            notify(removedNotice(removed), "success");
            navigate("/projects");
          }}
        />
      ) : null}
    </>
  );
}
