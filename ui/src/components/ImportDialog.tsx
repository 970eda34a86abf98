import FolderOpenIcon from "@mui/icons-material/FolderOpen";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import Chip from "@mui/material/Chip";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import FormControlLabel from "@mui/material/FormControlLabel";
import LinearProgress from "@mui/material/LinearProgress";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useState, type FormEvent } from "react";

import { importProject, inspectFolder, pickFolder, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { FolderView } from "../bindings/FolderView";
import type { FolderWarning } from "../bindings/FolderWarning";
import type { ProjectView } from "../bindings/ProjectView";
import { formatRelative, shortCommit, toMs } from "../format";
import { useLoader, useNow } from "../hooks";
import { planGraphJobs } from "../plan";
import { MONO_FONT } from "../theme";
import { DiagnosticList, ErrorAlert } from "./ErrorAlert";
import { JobGraph } from "./JobGraph";

/** Offered when no stack was recognised. */
export const BLANK_PIPELINE = `jobs:
  build:
    steps:
      - name: build
        run: echo "replace with your build command"
  test:
    needs: build
    steps:
      - run: echo "replace with your test command"
`;

export interface ImportDialogProps {
  open: boolean;
  /** A folder to inspect right away (drag-and-drop, deep link). */
  initialPath: string | null;
  onClose: () => void;
  onImported: (project: ProjectView) => void;
  onOpenExisting: (name: string) => void;
}

function FolderFacts({ folder }: { folder: FolderView }) {
  const now = useNow(60_000);
  const git = folder.git;
  return (
    <Box data-testid="import-git">
      <Typography variant="subtitle2" sx={{ mt: 2, mb: 0.5 }}>
        Git
      </Typography>
      {git ? (
        <>
          <Stack direction="row" gap={1} flexWrap="wrap" alignItems="center">
            <Chip size="small" label={git.branch ? `branch ${git.branch}` : "detached HEAD"} data-testid="import-branch" />
            {git.dirty ? <Chip size="small" color="warning" variant="outlined" label="uncommitted changes" /> : null}
            <Typography variant="body2" color="text.secondary" sx={{ fontFamily: MONO_FONT }} data-testid="import-remote">
              {git.remote ?? "no remote"}
            </Typography>
          </Stack>
          {git.commits.length > 0 ? (
            <Box component="ul" sx={{ listStyle: "none", p: 0, m: 0, mt: 1 }} aria-label="Last commits">
              {git.commits.slice(0, 5).map((c) => {
                const time = toMs(c.time);
                return (
                  <Box
                    component="li"
                    key={c.id}
                    data-testid="import-commit"
                    sx={{ display: "flex", gap: 1.5, py: 0.25, alignItems: "baseline", fontSize: 14 }}
                  >
                    <Box component="code" sx={{ fontFamily: MONO_FONT, color: "text.secondary" }}>
                      {shortCommit(c.id)}
                    </Box>
                    <Box sx={{ flex: 1, minWidth: 0, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
                      {c.summary}
                    </Box>
                    <Typography variant="caption" color="text.secondary" sx={{ whiteSpace: "nowrap" }}>
                      {c.author}
                      {time !== null ? ` · ${formatRelative(time, now)}` : ""}
                    </Typography>
                  </Box>
                );
              })}
            </Box>
          ) : null}
        </>
      ) : (
        <Typography variant="body2" color="text.secondary">
          Not a git repository: runs will not record a branch or commit.
        </Typography>
      )}
    </Box>
  );
}

/** What a folder warning says it is, as a title: "This is your home folder, not a project folder". */
function warningTitle(warning: FolderWarning): string {
  switch (warning) {
    case "root_folder":
      return "This is the root of the file system, not a project folder";
    case "home_folder":
      return "This is your home folder, not a project folder";
    case "system_folder":
      return "This is a system folder, not a project folder";
  }
}

/** What importing a folder with this warning would do, in the user's words. */
function warningText(warning: FolderWarning, missing: boolean): string {
  const over: Record<FolderWarning, string> = {
    root_folder: "everything on this computer",
    home_folder: "all your files",
    system_folder: "the operating system's files",
  };
  return (
    "Importing it makes Switchyard " +
    (missing ? "write switchyard.yaml here and " : "") +
    `run pipelines over ${over[warning]}. Choose the folder of one project instead.`
  );
}

/**
 * Import a folder: inspect it (git facts, pipeline state), then import on the
 * user's confirmation, saving the proposed pipeline first when it has none.
 */
export function ImportDialog({ open, initialPath, onClose, onImported, onOpenExisting }: ImportDialogProps) {
  const [pathInput, setPathInput] = useState(initialPath ?? "");
  const [request, setRequest] = useState<{ path: string; n: number } | null>(
    initialPath ? { path: initialPath, n: 1 } : null,
  );
  const inspection = useLoader<FolderView>(request ? `${request.n}:${request.path}` : null, () =>
    inspectFolder(request?.path ?? ""),
  );
  const folder = inspection.data;
  const [edited, setEdited] = useState<{ path: string; yaml: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [importError, setImportError] = useState<ErrorDto | null>(null);
  const [pickError, setPickError] = useState<ErrorDto | null>(null);

  const missing = folder?.pipeline.state === "missing";
  const [acknowledged, setAcknowledged] = useState<string | null>(null);
  const warned = !!folder && folder.warnings.length > 0;
  const warningAcknowledged = !!folder && acknowledged === folder.path;
  const yaml =
    edited && folder && edited.path === folder.path ? edited.yaml : (folder?.starter?.yaml ?? BLANK_PIPELINE);

  const inspect = (path: string) => {
    const p = path.trim();
    if (!p) return;
    setImportError(null);
    setRequest((r) => ({ path: p, n: (r?.n ?? 0) + 1 }));
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    inspect(pathInput);
  };

  const browse = async () => {
    setPickError(null);
    try {
      const picked = await pickFolder();
      if (picked) {
        setPathInput(picked);
        inspect(picked);
      }
    } catch (error) {
      setPickError(toErrorDto(error));
    }
  };

  const confirm = async () => {
    if (!folder) return;
    setBusy(true);
    setImportError(null);
    try {
      const project = await importProject(folder.path, missing ? yaml : null);
      onImported(project);
    } catch (error) {
      setImportError(toErrorDto(error));
    } finally {
      setBusy(false);
    }
  };

  const canImport =
    !!folder &&
    !folder.imported_as &&
    !busy &&
    !inspection.loading &&
    (!missing || yaml.trim() !== "") &&
    (!warned || warningAcknowledged);

  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} maxWidth="md" fullWidth aria-labelledby="import-title">
      <DialogTitle id="import-title">Import a project</DialogTitle>
      <DialogContent dividers data-testid="import-dialog">
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          Choose the folder that holds your project. Switchyard reads its git facts and its pipeline
          (switchyard.yaml); nothing is imported until you confirm.
        </Typography>
        <Box component="form" onSubmit={onSubmit} sx={{ display: "flex", gap: 1, alignItems: "flex-start" }}>
          <TextField
            label="Folder path"
            value={pathInput}
            onChange={(e) => setPathInput(e.target.value)}
            fullWidth
            size="small"
            placeholder="/home/me/src/my-project"
            slotProps={{ htmlInput: { "data-testid": "import-path-input", spellCheck: false, style: { fontFamily: MONO_FONT } } }}
            autoFocus={!initialPath}
          />
          <Button variant="outlined" onClick={browse} startIcon={<FolderOpenIcon />} data-testid="import-browse" sx={{ whiteSpace: "nowrap" }}>
            Browse…
          </Button>
          <Button type="submit" variant="contained" data-testid="import-inspect" disabled={!pathInput.trim()}>
            Inspect
          </Button>
        </Box>
        {pickError ? (
          <Box sx={{ mt: 2 }}>
            <ErrorAlert error={pickError} title="The folder picker failed" />
          </Box>
        ) : null}
        {inspection.loading ? <LinearProgress sx={{ mt: 2 }} aria-label="Inspecting the folder" /> : null}
        {inspection.error && !inspection.loading ? (
          <Box sx={{ mt: 2 }}>
            <ErrorAlert error={inspection.error} title="This folder can't be imported" onRetry={inspection.reload} />
          </Box>
        ) : null}
        {folder ? (
          <Box sx={{ mt: 2 }} data-testid="import-folder">
            <Typography variant="body1">
              Imports as <strong data-testid="import-name">{folder.name}</strong>
            </Typography>
            <Typography variant="body2" color="text.secondary" sx={{ fontFamily: MONO_FONT, wordBreak: "break-all" }}>
              {folder.path}
            </Typography>
            {warned ? (
              <Alert severity="warning" sx={{ mt: 2 }} data-testid="import-folder-warning">
                {folder.warnings.map((w) => (
                  <Box key={w} sx={{ mb: 0.5 }} data-testid="import-folder-warning-item" data-warning={w}>
                    <AlertTitle>{warningTitle(w)}</AlertTitle>
                    <Box component="p" sx={{ m: 0 }}>
                      {warningText(w, missing)}
                    </Box>
                  </Box>
                ))}
                <FormControlLabel
                  control={
                    <Checkbox
                      size="small"
                      checked={warningAcknowledged}
                      onChange={(e) => setAcknowledged(e.target.checked ? folder.path : null)}
                      slotProps={{ input: { ...({ "data-testid": "import-folder-warning-ack" } as object) } }}
                    />
                  }
                  label="Import this folder anyway"
                />
              </Alert>
            ) : null}
            {folder.imported_as ? (
              <Alert
                severity="info"
                sx={{ mt: 2 }}
                data-testid="import-already"
                action={
                  <Button color="inherit" size="small" onClick={() => onOpenExisting(folder.imported_as as string)}>
                    Open it
                  </Button>
                }
              >
                This folder is already imported as <strong>{folder.imported_as}</strong>.
              </Alert>
            ) : null}
            <FolderFacts folder={folder} />
            <Typography variant="subtitle2" sx={{ mt: 2, mb: 0.5 }}>
              Pipeline
            </Typography>
            <Box data-testid="import-pipeline" data-state={folder.pipeline.state}>
              {folder.pipeline.state === "valid" ? (
                <>
                  <Typography variant="body2" sx={{ mb: 1 }}>
                    switchyard.yaml is valid: {folder.pipeline.plan.length} job{folder.pipeline.plan.length === 1 ? "" : "s"}.
                  </Typography>
                  <JobGraph
                    label="Jobs of the pipeline"
                    nodeTestId="import-plan-job"
                    jobs={planGraphJobs(folder.pipeline.plan)}
                  />
                </>
              ) : null}
              {folder.pipeline.state === "invalid" ? (
                <Alert severity="error">
                  <AlertTitle>
                    switchyard.yaml has {folder.pipeline.diagnostics.length} problem
                    {folder.pipeline.diagnostics.length === 1 ? "" : "s"}
                  </AlertTitle>
                  Fix them in the file and inspect again. You can also import now and fix the file later: runs start
                  once it is valid.
                  <DiagnosticList diagnostics={folder.pipeline.diagnostics} testId="import-diagnostic" />
                </Alert>
              ) : null}
              {missing ? (
                <>
                  <Alert severity="info" sx={{ mb: 1.5 }} data-testid="import-starter">
                    {folder.starter ? (
                      <>
                        There is no switchyard.yaml here yet. This looks like a <strong>{folder.starter.stack}</strong>{" "}
                        project (from <code>{folder.starter.detected_from}</code>): here is a starter pipeline. Edit it as
                        you like; it is saved as switchyard.yaml in the folder when you import.
                      </>
                    ) : (
                      <>
                        There is no switchyard.yaml here yet and no known stack was recognised. Write the pipeline below;
                        it is saved as switchyard.yaml in the folder when you import.
                      </>
                    )}
                  </Alert>
                  <TextField
                    label="switchyard.yaml"
                    multiline
                    fullWidth
                    minRows={8}
                    maxRows={22}
                    value={yaml}
                    onChange={(e) => setEdited({ path: folder.path, yaml: e.target.value })}
                    slotProps={{
                      htmlInput: {
                        "data-testid": "import-starter-yaml",
                        spellCheck: false,
                        style: { fontFamily: MONO_FONT, fontSize: 13 },
                      },
                    }}
                  />
                </>
              ) : null}
            </Box>
          </Box>
        ) : null}
      </DialogContent>
      {importError ? (
        // Next to the button that failed, outside the scrolled content: always in view.
        <Box sx={{ px: 3, pt: 2, maxHeight: "40vh", overflowY: "auto", flexShrink: 0 }}>
          <ErrorAlert error={importError} title="The import failed" testId="import-error" focusOnShow />
        </Box>
      ) : null}
      <DialogActions>
        <Button onClick={onClose} disabled={busy} data-testid="import-cancel">
          Cancel
        </Button>
        <Button variant="contained" onClick={confirm} disabled={!canImport} data-testid="import-confirm">
          {busy ? "Importing…" : missing ? "Save pipeline and import" : "Import"}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
