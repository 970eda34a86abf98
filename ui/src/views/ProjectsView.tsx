import AddIcon from "@mui/icons-material/Add";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import { useEffect } from "react";
import { Link as RouterLink, useNavigate } from "react-router";

import { listProjects, onProjects, onRuns } from "../api";
import type { ProjectView } from "../bindings/ProjectView";
import type { RunSummaryView } from "../bindings/RunSummaryView";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader, PageLoading } from "../components/Page";
import { formatRelative, runTime, shortCommit } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { useImport } from "../importing";
import { StatusChip } from "../status";
import { MONO_FONT } from "../theme";

function withRun(projects: ProjectView[], run: RunSummaryView): ProjectView[] {
  return projects.map((p) =>
    p.name === run.project && (!p.last_run || run.id >= p.last_run.id) ? { ...p, last_run: run } : p,
  );
}

function LastRun({ run, now }: { run: RunSummaryView; now: number }) {
  const when = runTime(run);
  return (
    <Box sx={{ display: "flex", alignItems: "center", gap: 1, flexWrap: "wrap" }}>
      <StatusChip status={run.status} testId="project-last-status" />
      <Typography variant="body2" color="text.secondary">
        #{run.id}
        {run.branch ? ` · ${run.branch}` : ""}
        {run.commit ? ` · ${shortCommit(run.commit)}` : ""}
        {when !== null ? ` · ${formatRelative(when, now)}` : ""}
      </Typography>
    </Box>
  );
}

export function ProjectsView() {
  const { openImport, projectsVersion } = useImport();
  const projects = useLoader("projects", listProjects);
  const navigate = useNavigate();
  const now = useNow(30_000);
  const { reload, mutate } = projects;

  useEffect(() => {
    if (projectsVersion > 0) reload();
  }, [projectsVersion, reload]);
  useSubscription(onRuns, (run) => mutate((list) => withRun(list, run)));
  // Imported or changed here or by another process (the CLI).
  useSubscription(onProjects, () => reload());

  const importButton = (
    <Button variant="contained" startIcon={<AddIcon />} onClick={() => openImport()} data-testid="import-button">
      Import project
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Projects"
        subtitle="Import a project with the button, or drop its folder onto this window."
        actions={importButton}
      />
      {projects.loading ? <PageLoading /> : null}
      {projects.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={projects.error} title="The projects could not be loaded" onRetry={reload} />
        </Box>
      ) : null}
      {projects.data && projects.data.length === 0 ? (
        <Paper variant="outlined" sx={{ p: 4 }} data-testid="projects-empty">
          <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
            No projects yet
          </Typography>
          <Typography color="text.secondary">
            Import a folder that holds a project. It does not need a pipeline yet: Switchyard proposes one for its
            stack.
          </Typography>
        </Paper>
      ) : null}
      {projects.data && projects.data.length > 0 ? (
        <Paper variant="outlined">
          <Table aria-label="Projects">
            <TableHead>
              <TableRow>
                <TableCell>Project</TableCell>
                <TableCell>Last run</TableCell>
                <TableCell>Remote</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {projects.data.map((p) => (
                <TableRow
                  key={p.name}
                  hover
                  data-testid="project-row"
                  data-project={p.name}
                  onClick={() => navigate(`/projects/${encodeURIComponent(p.name)}`)}
                  sx={{ cursor: "pointer" }}
                >
                  <TableCell>
                    <Link
                      component={RouterLink}
                      to={`/projects/${encodeURIComponent(p.name)}`}
                      underline="hover"
                      sx={{ fontWeight: 600 }}
                      onClick={(e) => e.stopPropagation()}
                    >
                      {p.name}
                    </Link>
                    <Typography variant="body2" color="text.secondary" sx={{ fontFamily: MONO_FONT, fontSize: 12, wordBreak: "break-all" }}>
                      {p.path}
                    </Typography>
                  </TableCell>
                  <TableCell>
                    {p.last_run ? (
                      <LastRun run={p.last_run} now={now} />
                    ) : (
                      <Typography variant="body2" color="text.secondary">
                        Never run
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell sx={{ fontFamily: MONO_FONT, fontSize: 12, wordBreak: "break-all" }}>{p.remote ?? "—"}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Paper>
      ) : null}
    </>
  );
}
