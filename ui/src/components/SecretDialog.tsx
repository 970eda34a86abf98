import VisibilityIcon from "@mui/icons-material/Visibility";
import VisibilityOffIcon from "@mui/icons-material/VisibilityOff";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import FormControl from "@mui/material/FormControl";
import FormHelperText from "@mui/material/FormHelperText";
import IconButton from "@mui/material/IconButton";
import InputAdornment from "@mui/material/InputAdornment";
import InputLabel from "@mui/material/InputLabel";
import MenuItem from "@mui/material/MenuItem";
import Select from "@mui/material/Select";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { useState, type FormEvent, type HTMLAttributes } from "react";

import { setSecret, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { SecretView } from "../bindings/SecretView";
import { describeSecret, SECRET_ENV_PREFIX, scopeOf, secretNameProblem, secretValueProblem } from "../secrets";
import { MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";

/** What the dialog does: add a secret (any name, any scope), or rotate one (its name and scope fixed). */
export type SecretTarget = { kind: "add" } | { kind: "rotate"; secret: SecretView };

const GLOBAL = "global";

/** The scope select's value of a project ("global" cannot clash: it has no prefix). */
function projectValue(project: string): string {
  return `project:${project}`;
}

function projectOf(scopeValue: string): string | null {
  return scopeValue === GLOBAL ? null : scopeValue.slice("project:".length);
}

export interface SecretDialogProps {
  open: boolean;
  target: SecretTarget;
  /** The imported projects (for the scope select); undefined while loading or when they could not be loaded. */
  projects: string[] | undefined;
  /** The projects could not be loaded: only Global is offered. */
  projectsFailed?: boolean;
  /** Every secret listed, to say when a save rotates or an environment variable wins. */
  secrets: SecretView[];
  onClose: () => void;
  /** Stored: the dialog has closed and forgotten the value. */
  onSaved: (secret: SecretView) => void;
}

/**
 * Sets a secret's value: a masked field whose value lives only in this
 * dialog's state, goes to the shell once (`set_secret`) and is dropped as soon
 * as the dialog closes, saved or not. Mount it anew (a new `key`) for each
 * opening.
 */
export function SecretDialog({ open, target, projects, projectsFailed = false, secrets, onClose, onSaved }: SecretDialogProps) {
  const rotating = target.kind === "rotate";
  const [name, setName] = useState(rotating ? target.secret.name : "");
  const [scope, setScope] = useState(rotating && target.secret.project !== null ? projectValue(target.secret.project) : GLOBAL);
  const [value, setValue] = useState("");
  const [showValue, setShowValue] = useState(false);
  const [valueTouched, setValueTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);

  const project = projectOf(scope);
  const nameProblem = secretNameProblem(name);
  const valueProblem = secretValueProblem(value);
  // An empty name is not an error to shout about until something was typed.
  const nameError = name !== "" && nameProblem !== null;
  const valueError = valueTouched && valueProblem !== null;
  const canSave = !busy && nameProblem === null && valueProblem === null;

  const exists =
    !rotating && nameProblem === null && secrets.some((s) => scopeOf(s) !== "environment" && s.name === name && s.project === project);
  const environmentWins = nameProblem === null && secrets.some((s) => scopeOf(s) === "environment" && s.name === name);

  // A project that is no longer imported still shows when its secret is rotated.
  const projectNames = [...(projects ?? [])];
  if (project !== null && !projectNames.includes(project)) projectNames.push(project);

  const close = () => {
    if (busy) return;
    setValue("");
    setShowValue(false);
    onClose();
  };

  const save = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSave) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await setSecret(name, project, value);
      // Forget the value at once, before anything else happens.
      setValue("");
      setShowValue(false);
      setBusy(false);
      onClose();
      onSaved(saved);
    } catch (err) {
      setError(toErrorDto(err));
      setBusy(false);
    }
  };

  const title = rotating ? `Rotate ${target.secret.name}` : "Add secret";

  return (
    <Dialog
      open={open}
      onClose={close}
      maxWidth="sm"
      fullWidth
      aria-labelledby="secret-dialog-title"
      slotProps={{ paper: { ...({ "data-testid": "secret-dialog", "data-mode": target.kind } as object) } }}
    >
      {/* display: contents keeps the dialog's layout; the form gives Enter = Save. */}
      <Box component="form" onSubmit={save} noValidate autoComplete="off" sx={{ display: "contents" }}>
        <DialogTitle id="secret-dialog-title" sx={{ wordBreak: "break-all" }}>
          {title}
        </DialogTitle>
        <DialogContent dividers>
          <DialogContentText sx={{ mb: 2 }}>
            {rotating
              ? `Replace the value of the ${describeSecret(target.secret.name, target.secret.project)}. Runs that start after saving get the new value; the old one is gone from the keyring.`
              : "The value is stored only in your OS keyring. Switchyard keeps the name and when it was set, and never shows the value again."}
          </DialogContentText>
          <Stack gap={2.5}>
            <TextField
              label="Name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              disabled={rotating || busy}
              required
              fullWidth
              autoFocus={!rotating}
              error={nameError}
              helperText={
                nameError
                  ? nameProblem
                  : "Letters, digits and _, not starting with a digit. A pipeline asks for it by this name."
              }
              slotProps={{
                htmlInput: {
                  "data-testid": "secret-name",
                  spellCheck: false,
                  autoCapitalize: "off",
                  autoCorrect: "off",
                  maxLength: 1024,
                  style: { fontFamily: MONO_FONT },
                },
                formHelperText: { ...({ "data-testid": "secret-name-help" } as object) },
              }}
            />
            <FormControl fullWidth disabled={rotating || busy}>
              <InputLabel id="secret-scope-label">Scope</InputLabel>
              <Select
                labelId="secret-scope-label"
                label="Scope"
                value={scope}
                onChange={(e) => setScope(e.target.value)}
                SelectDisplayProps={{ "data-testid": "secret-scope" } as HTMLAttributes<HTMLDivElement>}
                inputProps={{ "data-testid": "secret-scope-value" }}
              >
                <MenuItem value={GLOBAL} data-testid="secret-scope-option-global">
                  Global (every project)
                </MenuItem>
                {projectNames.map((p) => (
                  <MenuItem key={p} value={projectValue(p)} data-testid={`secret-scope-option-${p}`}>
                    Project {p}
                  </MenuItem>
                ))}
              </Select>
              <FormHelperText>
                {rotating || projects !== undefined
                  ? "A project's secret wins over a global one of the same name for that project."
                  : projectsFailed
                    ? "The projects could not be loaded: only Global is offered."
                    : "Loading the projects…"}
              </FormHelperText>
            </FormControl>
            <TextField
              label="Value"
              type={showValue ? "text" : "password"}
              value={value}
              onChange={(e) => {
                setValue(e.target.value);
                setValueTouched(true);
              }}
              disabled={busy}
              required
              fullWidth
              autoFocus={rotating}
              autoComplete="off"
              error={valueError}
              helperText={valueError ? valueProblem : "Kept only until this dialog closes, then only in the keyring."}
              slotProps={{
                htmlInput: {
                  "data-testid": "secret-value",
                  spellCheck: false,
                  autoCapitalize: "off",
                  autoCorrect: "off",
                  style: { fontFamily: MONO_FONT },
                },
                input: {
                  endAdornment: (
                    <InputAdornment position="end">
                      <IconButton
                        aria-label={showValue ? "Hide value" : "Show value"}
                        aria-pressed={showValue}
                        onClick={() => setShowValue((s) => !s)}
                        onMouseDown={(e) => e.preventDefault()}
                        edge="end"
                        data-testid="secret-value-toggle"
                      >
                        {showValue ? <VisibilityOffIcon /> : <VisibilityIcon />}
                      </IconButton>
                    </InputAdornment>
                  ),
                },
              }}
            />
            {exists ? (
              <Alert severity="info" data-testid="secret-exists">
                {name} already exists {project === null ? "globally" : `in project ${project}`}: saving replaces its value
                (a rotation).
              </Alert>
            ) : null}
            {environmentWins ? (
              <Alert severity="warning" data-testid="secret-env-wins">
                <Box component="code" sx={{ fontFamily: MONO_FONT }}>
                  {SECRET_ENV_PREFIX}
                  {name}
                </Box>{" "}
                is set in Switchyard&apos;s environment: runs get that value, not this one, while it is set.
              </Alert>
            ) : null}
            {error ? <ErrorAlert error={error} title="The secret could not be stored" testId="secret-error" focusOnShow /> : null}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={busy} data-testid="secret-cancel">
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={!canSave} data-testid="secret-save">
            {busy ? "Saving…" : "Save"}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
