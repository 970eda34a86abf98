import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import FormControlLabel from "@mui/material/FormControlLabel";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Typography from "@mui/material/Typography";
import { useState } from "react";

import { removeProject, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { ProjectView } from "../bindings/ProjectView";
import type { RemovedProject } from "../bindings/RemovedProject";
import { MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";

export interface RemoveProjectDialogProps {
  project: ProjectView;
  onClose: () => void;
  onRemoved: (removed: RemovedProject) => void;
}

/** What the notice says once a project is removed. */
export function removedNotice(removed: RemovedProject): string {
  if (removed.history_deleted) return `Removed ${removed.name} and its history`;
  if (removed.runs === 0) return `Removed ${removed.name}`;
  return removed.runs === 1
    ? `Removed ${removed.name}; its run stays in the history`
    : `Removed ${removed.name}; its ${removed.runs} runs stay in the history`;
}

function radioInput(testId: string) {
  return { input: { ...({ "data-testid": testId } as object) } };
}

/**
 * Confirms removing a project from Switchyard: its history stays (default) or
 * goes too. The project folder is never touched.
 */
export function RemoveProjectDialog({ project, onClose, onRemoved }: RemoveProjectDialogProps) {
  const [deleteHistory, setDeleteHistory] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      const removed = await removeProject(project.name, deleteHistory);
      onRemoved(removed);
    } catch (e) {
      setError(toErrorDto(e));
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={busy ? undefined : onClose} maxWidth="sm" fullWidth aria-labelledby="project-remove-title">
      <DialogTitle id="project-remove-title">Remove project {project.name}?</DialogTitle>
      <DialogContent data-testid="project-remove-dialog">
        <DialogContentText component="div">
          <Typography sx={{ mb: 1 }}>
            <strong>{project.name}</strong> leaves Switchyard&apos;s list of projects. Nothing in its folder is touched:
            its files, switchyard.yaml and git stay as they are.
          </Typography>
          <Box sx={{ fontFamily: MONO_FONT, fontSize: 13, wordBreak: "break-all", mb: 2 }} data-testid="project-remove-path">
            {project.path}
          </Box>
        </DialogContentText>
        <RadioGroup
          aria-label="Its history"
          value={deleteHistory ? "delete" : "keep"}
          onChange={(e) => setDeleteHistory(e.target.value === "delete")}
        >
          <FormControlLabel
            value="keep"
            disabled={busy}
            control={<Radio slotProps={radioInput("project-remove-keep")} />}
            label={
              <>
                Keep its history
                <Typography variant="body2" color="text.secondary">
                  Its runs stay: a run still opens by its number, and importing the folder again brings them back with
                  the project.
                </Typography>
              </>
            }
            sx={{ alignItems: "flex-start", mb: 1, "& .MuiRadio-root": { pt: 0.5 } }}
          />
          <FormControlLabel
            value="delete"
            disabled={busy}
            control={<Radio color="error" slotProps={radioInput("project-remove-delete")} />}
            label="Delete its history too (runs, logs, test results, artifacts; cannot be undone)"
          />
        </RadioGroup>
        {error ? (
          <Box sx={{ mt: 2 }}>
            <ErrorAlert error={error} title="The project could not be removed" testId="project-remove-error" focusOnShow />
          </Box>
        ) : null}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy} autoFocus data-testid="project-remove-cancel">
          Cancel
        </Button>
        <Button
          variant="contained"
          color={deleteHistory ? "error" : "primary"}
          onClick={remove}
          disabled={busy}
          data-testid="project-remove-confirm"
        >
          {busy ? "Removing…" : deleteHistory ? "Remove and delete history" : "Remove"}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
