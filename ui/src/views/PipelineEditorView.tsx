import CheckCircleOutlineIcon from "@mui/icons-material/CheckCircleOutline";
import ErrorOutlineIcon from "@mui/icons-material/ErrorOutline";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Breadcrumbs from "@mui/material/Breadcrumbs";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import { alpha } from "@mui/material/styles";
import Typography from "@mui/material/Typography";
import {
  memo,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
} from "react";
import { Link as RouterLink, useBlocker, useParams } from "react-router";

import { checkPipeline, pipelineFile, savePipeline, toErrorDto } from "../api";
import type { DiagnosticView } from "../bindings/DiagnosticView";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { PipelineFileView } from "../bindings/PipelineFileView";
import type { PipelineView } from "../bindings/PipelineView";
import type { PlanJobView } from "../bindings/PlanJobView";
import { DiagnosticList, ErrorAlert } from "../components/ErrorAlert";
import { BLANK_PIPELINE } from "../components/ImportDialog";
import { JobGraph } from "../components/JobGraph";
import { PageHeader, PageLoading, Section } from "../components/Page";
import { plural } from "../format";
import { useLoader } from "../hooks";
import { useNotify } from "../notify";
import { planGraphJobs } from "../plan";
import { modalOpen, useShortcut } from "../shortcuts";
import { MONO_FONT } from "../theme";

/** Quiet time after the last keystroke before the text is checked. */
export const CHECK_DELAY_MS = 300;

/** Every line is this tall (no wrapping), so the gutter can place numbers without measuring. */
const LINE_H = 20;
const PAD_Y = 8;
const FONT_SIZE = 13;
/** Roughly a monospace character's width at FONT_SIZE, to bring a column into view. */
const CHAR_W = FONT_SIZE * 0.6;
/** Line numbers drawn above and below the visible ones. */
const OVERSCAN = 10;
const INDENT = "  ";

const IS_MAC = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const SAVE_KEY = IS_MAC ? "⌘S" : "Ctrl+S";

/** Lines in `text`: one more than its line breaks. */
export function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Offset in `text` of 1-based `line` and `column`, kept within the text and within that line. */
export function offsetOf(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return text.length;
    start = nl + 1;
  }
  const nl = text.indexOf("\n", start);
  const end = nl < 0 ? text.length : nl;
  return Math.min(start + Math.max(0, column - 1), end);
}

/** An edit of a text area: `insert` replaces `from..to`, then `selection` is selected. */
export interface TextEdit {
  from: number;
  to: number;
  insert: string;
  selection: [number, number];
}

/**
 * What Tab does to the selection `start..end` of `text`: two spaces in its
 * place, or, when it spans lines, two more spaces at the start of each of
 * them (a selection ending at a line's start leaves that line alone).
 */
export function indentEdit(text: string, start: number, end: number): TextEdit {
  if (!text.slice(start, end).includes("\n")) {
    return { from: start, to: end, insert: INDENT, selection: [start + INDENT.length, start + INDENT.length] };
  }
  const from = text.lastIndexOf("\n", start - 1) + 1;
  const to = text[end - 1] === "\n" ? end - 1 : end;
  const lines = text.slice(from, to).split("\n");
  return {
    from,
    to,
    insert: lines.map((l) => INDENT + l).join("\n"),
    selection: [start + INDENT.length, end + INDENT.length * lines.length],
  };
}

/** The file as last read or saved; the editor's text is compared with it. */
interface Base {
  path: string;
  /** With `\n` line breaks, as a text area holds it. */
  text: string;
  version: string;
  /** The file breaks lines with `\r\n`: saved the same way. */
  crlf: boolean;
  pipeline: PipelineView;
}

function baseOf(file: PipelineFileView): Base {
  return {
    path: file.path,
    text: file.text.replace(/\r\n?/g, "\n"),
    version: file.version,
    crlf: file.text.includes("\r\n"),
    pipeline: file.pipeline,
  };
}

/** The answer for one text: what it is as a pipeline, or why it could not be checked. */
interface Checked {
  text: string;
  pipeline: PipelineView | null;
  error: ErrorDto | null;
}

function checkedOf(base: Base): Checked | null {
  return base.version === "" ? null : { text: base.text, pipeline: base.pipeline, error: null };
}

/** `missing`: a file not written yet and nothing typed. `error`: the check itself failed. */
type EditorState = "valid" | "invalid" | "checking" | "error" | "missing";

/**
 * Line numbers beside the text area, following its scroll. Only the visible
 * ones (and a few more) are drawn, so a file of thousands of lines costs no
 * more than a short one; lines with a problem are marked.
 */
const Gutter = memo(function Gutter({
  editor,
  lines,
  errors,
}: {
  editor: HTMLTextAreaElement | null;
  lines: number;
  errors: ReadonlySet<number>;
}) {
  const [view, setView] = useState(() => ({ top: 0, height: typeof window === "undefined" ? 800 : window.innerHeight }));
  useEffect(() => {
    if (!editor) return;
    const read = () =>
      setView((v) =>
        v.top === editor.scrollTop && v.height === editor.clientHeight ? v : { top: editor.scrollTop, height: editor.clientHeight },
      );
    editor.addEventListener("scroll", read, { passive: true });
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(read);
    observer?.observe(editor);
    return () => {
      editor.removeEventListener("scroll", read);
      observer?.disconnect();
    };
  }, [editor]);

  const first = Math.max(1, Math.floor((view.top - PAD_Y) / LINE_H) + 1 - OVERSCAN);
  const last = Math.min(lines, Math.ceil((view.top + view.height) / LINE_H) + OVERSCAN);
  const numbers: number[] = [];
  for (let n = first; n <= last; n++) numbers.push(n);
  return (
    <Box
      aria-hidden
      data-testid="pipeline-editor-gutter"
      data-lines={lines}
      sx={{
        position: "relative",
        overflow: "hidden",
        flexShrink: 0,
        width: `calc(${Math.max(2, String(lines).length)}ch + 20px)`,
        fontFamily: MONO_FONT,
        fontSize: FONT_SIZE,
        lineHeight: `${LINE_H}px`,
        textAlign: "right",
        color: "text.secondary",
        bgcolor: "action.hover",
        borderRight: 1,
        borderColor: "divider",
        userSelect: "none",
        "& > div > div": { height: LINE_H, pr: 1, pl: 0.5 },
        "& > div > div[data-error='true']": {
          color: "error.main",
          fontWeight: 700,
          bgcolor: (t) => alpha(t.palette.error.main, t.palette.mode === "dark" ? 0.16 : 0.1),
          boxShadow: (t) => `inset 3px 0 0 ${t.palette.error.main}`,
        },
      }}
    >
      <div style={{ position: "absolute", left: 0, right: 0, top: 0, transform: `translateY(${PAD_Y + (first - 1) * LINE_H - view.top}px)` }}>
        {numbers.map((n) => (
          <div key={n} data-line={n} data-error={errors.has(n) ? "true" : undefined}>
            {n}
          </div>
        ))}
      </div>
    </Box>
  );
});

/** Drawn again only when the answer changes, not at every keystroke. */
const Problems = memo(function Problems({
  diagnostics,
  stale,
  onPick,
}: {
  diagnostics: DiagnosticView[];
  stale: boolean;
  onPick: (d: DiagnosticView) => void;
}) {
  return (
    <Section title={`Problems (${diagnostics.length})`} testId="pipeline-editor-problems">
      <Box sx={{ px: 1.5, pb: 1.5, opacity: stale ? 0.6 : 1 }} aria-busy={stale || undefined}>
        <DiagnosticList diagnostics={diagnostics} testId="pipeline-editor-diagnostic" onPick={onPick} />
      </Box>
    </Section>
  );
});

const Preview = memo(function Preview({ plan, stale }: { plan: PlanJobView[]; stale: boolean }) {
  const jobs = useMemo(() => planGraphJobs(plan, { conditions: true }), [plan]);
  return (
    <Section title="Jobs it will run" testId="pipeline-editor-preview">
      <Box sx={{ p: 1, opacity: stale ? 0.6 : 1 }} aria-busy={stale || undefined}>
        <JobGraph label="Jobs of the edited pipeline" testId="pipeline-editor-graph" nodeTestId="pipeline-editor-job" jobs={jobs} />
      </Box>
    </Section>
  );
});

function StatusLine({ state, checked }: { state: EditorState; checked: Checked | null }) {
  let icon = null;
  let text: string;
  let color = "text.secondary";
  switch (state) {
    case "valid":
      icon = <CheckCircleOutlineIcon fontSize="small" color="success" />;
      text = `Valid: ${plural(checked?.pipeline?.plan.length ?? 0, "job")}`;
      color = "success.main";
      break;
    case "invalid":
      icon = <ErrorOutlineIcon fontSize="small" color="error" />;
      text = plural(checked?.pipeline?.diagnostics.length ?? 0, "problem");
      color = "error.main";
      break;
    case "error":
      icon = <ErrorOutlineIcon fontSize="small" color="warning" />;
      text = "Could not be checked";
      color = "warning.main";
      break;
    case "missing":
      text = "No switchyard.yaml yet";
      break;
    case "checking":
      icon = <CircularProgress size={14} aria-hidden />;
      text = "Checking…";
      break;
  }
  return (
    <Stack
      direction="row"
      gap={0.75}
      alignItems="center"
      role="status"
      data-testid="pipeline-editor-status"
      data-state={state}
      sx={{ color, fontWeight: 600, fontSize: 14, minHeight: 24 }}
    >
      {icon}
      <span>{text}</span>
    </Stack>
  );
}

/** A save or reload that failed; `conflict`: the file changed on disk since it was read. */
interface EditorError {
  kind: "conflict" | "save" | "reload";
  error: ErrorDto;
}

function PipelineEditor({ project, file }: { project: string; file: PipelineFileView }) {
  const notify = useNotify();
  const [base, setBase] = useState(() => baseOf(file));
  const [text, setText] = useState(base.text);
  const [checked, setChecked] = useState<Checked | null>(() => checkedOf(base));
  const [saving, setSaving] = useState(false);
  const [reloading, setReloading] = useState(false);
  const [askReload, setAskReload] = useState(false);
  const [error, setError] = useState<EditorError | null>(null);
  // The text area: in state for the gutter to follow its scroll, in a ref to move its caret.
  const [editor, setEditor] = useState<HTMLTextAreaElement | null>(null);
  const editorRef = useRef<HTMLTextAreaElement | null>(null);
  const attachEditor = useCallback((el: HTMLTextAreaElement | null) => {
    editorRef.current = el;
    setEditor(el);
  }, []);
  const seq = useRef(0);
  const pendingSelection = useRef<[number, number] | null>(null);
  // Esc, then Tab, moves the focus on instead of indenting: no keyboard trap.
  const escaped = useRef(false);
  const hintId = useId();

  const isNew = base.version === "";
  const dirty = text !== base.text;
  const fresh = isNew && text === "";
  const current = checked !== null && checked.text === text ? checked : null;
  const state: EditorState = current
    ? current.error
      ? "error"
      : current.pipeline?.state === "valid"
        ? "valid"
        : "invalid"
    : fresh
      ? "missing"
      : "checking";
  const canSave = dirty && !saving && !reloading && (state === "valid" || state === "error");
  const lines = useMemo(() => countLines(text), [text]);
  // The last answer stays shown (dimmed) while the text is checked again.
  const shown = fresh ? null : checked;
  const diagnostics = shown?.pipeline?.state === "invalid" ? shown.pipeline.diagnostics : null;
  const plan = shown?.pipeline?.state === "valid" ? shown.pipeline.plan : null;
  const errorLines = useMemo(() => new Set((diagnostics ?? []).map((d) => d.line)), [diagnostics]);
  const stale = state === "checking";

  // Checked once typing stops; an answer for an older text than the latest is dropped.
  const known = current !== null || fresh;
  useEffect(() => {
    const id = ++seq.current;
    if (known) return;
    const timer = window.setTimeout(() => {
      checkPipeline(project, text).then(
        (pipeline) => {
          if (id === seq.current) setChecked({ text, pipeline, error: null });
        },
        (e: unknown) => {
          if (id === seq.current) setChecked({ text, pipeline: null, error: toErrorDto(e) });
        },
      );
    }, CHECK_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [project, text, known]);

  // A selection to restore once React has put an edit made without execCommand in the text area.
  useLayoutEffect(() => {
    const selection = pendingSelection.current;
    const el = editorRef.current;
    if (!selection || !el) return;
    pendingSelection.current = null;
    el.setSelectionRange(selection[0], selection[1]);
  });

  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname,
  );

  /**
   * `byKey`: Ctrl+S does not wait for a check still to come (saving checks
   * the text anyway, and a text that does not load comes back with its
   * problems); only a text already known to be invalid is not sent.
   */
  const save = async (byKey = false) => {
    const allowed = byKey ? dirty && !saving && !reloading && state !== "invalid" : canSave;
    if (!allowed) return;
    const sent = text;
    setSaving(true);
    setError(null);
    try {
      const saved = baseOf(await savePipeline(project, base.crlf ? sent.replace(/\n/g, "\r\n") : sent, base.version));
      setBase(saved);
      // Typed on while it was saved: that stays, as a change over what was saved.
      setText((t) => (t === sent ? saved.text : t));
      setChecked({ text: saved.text, pipeline: saved.pipeline, error: null });
      notify("Saved switchyard.yaml", "success");
    } catch (e) {
      const err = toErrorDto(e);
      if (err.code === "invalid_pipeline" && err.diagnostics.length > 0) {
        setChecked({ text: sent, pipeline: { state: "invalid", diagnostics: err.diagnostics, plan: [] }, error: null });
      } else {
        setError({ kind: err.code === "conflict" ? "conflict" : "save", error: err });
      }
    } finally {
      setSaving(false);
    }
  };

  const saveRef = useRef(save);
  useLayoutEffect(() => {
    saveRef.current = save;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== "s") return;
      // Never the web view's own "save the page".
      e.preventDefault();
      if (modalOpen()) return;
      void saveRef.current(true);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  // Listed in the shortcuts help; the key itself is handled above (the help's keys carry no modifier).
  useShortcut(SAVE_KEY, "Save switchyard.yaml", () => void saveRef.current(true));

  const revert = () => {
    setText(base.text);
    setChecked(checkedOf(base));
    setError(null);
  };

  const reloadFromDisk = async () => {
    setAskReload(false);
    setReloading(true);
    try {
      const read = baseOf(await pipelineFile(project));
      setBase(read);
      setText(read.text);
      setChecked(checkedOf(read));
      setError(null);
      notify("Reloaded switchyard.yaml from disk", "info");
    } catch (e) {
      setError({ kind: "reload", error: toErrorDto(e) });
    } finally {
      setReloading(false);
    }
  };

  const askToReload = () => {
    if (dirty) setAskReload(true);
    else void reloadFromDisk();
  };

  /** Applies `edit` so that the text area's own undo keeps it, where the engine allows. */
  const applyEdit = (el: HTMLTextAreaElement, edit: TextEdit) => {
    el.setSelectionRange(edit.from, edit.to);
    const inserted = typeof document.execCommand === "function" && document.execCommand("insertText", false, edit.insert);
    if (inserted) {
      el.setSelectionRange(edit.selection[0], edit.selection[1]);
      return;
    }
    pendingSelection.current = edit.selection;
    setText(el.value.slice(0, edit.from) + edit.insert + el.value.slice(edit.to));
  };

  const onKeyDown = (e: ReactKeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Shift" || e.key === "Control" || e.key === "Alt" || e.key === "Meta") return;
    const wasEscaped = escaped.current;
    escaped.current = e.key === "Escape";
    // YAML forbids tabs; Shift+Tab keeps moving the focus back.
    if (e.key !== "Tab" || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey || wasEscaped || e.nativeEvent.isComposing) return;
    e.preventDefault();
    const el = e.currentTarget;
    applyEdit(el, indentEdit(el.value, el.selectionStart, el.selectionEnd));
  };

  const goTo = useCallback((d: DiagnosticView) => {
    const editor = editorRef.current;
    if (!editor) return;
    const offset = offsetOf(editor.value, d.line, d.column);
    editor.focus({ preventScroll: true });
    editor.setSelectionRange(offset, offset);
    // A text area does not bring its caret into view when it is placed from a script.
    const top = PAD_Y + (Math.max(1, d.line) - 1) * LINE_H;
    if (top < editor.scrollTop || top + LINE_H > editor.scrollTop + editor.clientHeight) {
      editor.scrollTop = Math.max(0, top - editor.clientHeight / 2);
    }
    const left = (offset - offsetOf(editor.value, d.line, 1)) * CHAR_W;
    if (left < editor.scrollLeft || left + 4 * CHAR_W > editor.scrollLeft + editor.clientWidth) {
      editor.scrollLeft = Math.max(0, left - editor.clientWidth / 2);
    }
    editor.scrollIntoView?.({ block: "nearest" });
  }, []);

  const errorAlert = error ? (
    <Box sx={{ mb: 2 }}>
      <ErrorAlert
        error={error.error}
        testId="pipeline-editor-error"
        title={
          error.kind === "conflict"
            ? "switchyard.yaml changed on disk since it was opened"
            : error.kind === "reload"
              ? "switchyard.yaml could not be read again"
              : "switchyard.yaml could not be saved"
        }
        action={
          error.kind === "save" ? undefined : (
            <Button color="inherit" size="small" onClick={askToReload} disabled={reloading} data-testid="pipeline-editor-reload">
              Reload from disk
            </Button>
          )
        }
      />
    </Box>
  ) : null;

  return (
    <>
      <PageHeader
        title="Edit switchyard.yaml"
        subtitle={
          <Box component="span" sx={{ fontFamily: MONO_FONT, fontSize: 12, wordBreak: "break-all" }} data-testid="pipeline-editor-path">
            {base.path}
          </Box>
        }
      />
      {isNew ? (
        <Alert
          severity="info"
          sx={{ mb: 2 }}
          data-testid="pipeline-editor-new"
          action={
            text === "" ? (
              <Button color="inherit" size="small" onClick={() => setText(BLANK_PIPELINE)} data-testid="pipeline-editor-example">
                Start from an example
              </Button>
            ) : undefined
          }
        >
          This project has no switchyard.yaml yet. Write its pipeline here: saving creates switchyard.yaml in the project
          folder.
        </Alert>
      ) : null}
      {errorAlert}
      <Paper variant="outlined" sx={{ mb: 3, overflow: "hidden" }}>
        <Stack
          direction="row"
          alignItems="center"
          gap={1.5}
          flexWrap="wrap"
          sx={{ px: 2, py: 1, borderBottom: 1, borderColor: "divider" }}
        >
          <StatusLine state={state} checked={current} />
          {dirty ? (
            <Typography variant="body2" color="text.secondary" data-testid="pipeline-editor-unsaved">
              · Unsaved changes
            </Typography>
          ) : null}
          <Box sx={{ flex: 1 }} />
          <Button onClick={revert} disabled={!dirty || saving || reloading} data-testid="pipeline-editor-revert">
            Revert
          </Button>
          <Button
            variant="contained"
            onClick={() => void save()}
            disabled={!canSave}
            data-testid="pipeline-editor-save"
            aria-keyshortcuts={IS_MAC ? "Meta+S" : "Control+S"}
            title={`Save (${SAVE_KEY})`}
          >
            {saving ? "Saving…" : "Save"}
          </Button>
        </Stack>
        <Box
          sx={{
            display: "flex",
            height: "max(260px, 60vh)",
            "&:focus-within": { boxShadow: (t) => `inset 0 0 0 2px ${t.palette.primary.main}` },
          }}
        >
          <Gutter editor={editor} lines={lines} errors={errorLines} />
          <Box
            component="textarea"
            ref={attachEditor}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            wrap="off"
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-label="switchyard.yaml"
            aria-describedby={hintId}
            aria-invalid={state === "invalid" || undefined}
            readOnly={reloading}
            data-testid="pipeline-editor-text"
            sx={{
              flex: 1,
              minWidth: 0,
              m: 0,
              border: 0,
              outline: "none",
              resize: "none",
              px: 1.5,
              py: `${PAD_Y}px`,
              fontFamily: MONO_FONT,
              fontSize: FONT_SIZE,
              lineHeight: `${LINE_H}px`,
              whiteSpace: "pre",
              overflow: "auto",
              tabSize: 2,
              color: "text.primary",
              bgcolor: "background.paper",
            }}
          />
        </Box>
        <Typography
          id={hintId}
          variant="caption"
          color="text.secondary"
          component="div"
          sx={{ px: 2, py: 0.75, borderTop: 1, borderColor: "divider" }}
        >
          Tab indents by two spaces (Esc, then Tab, moves on) · {SAVE_KEY} saves · click a problem to go to it
        </Typography>
      </Paper>
      {state === "error" && current?.error ? (
        <Box sx={{ mb: 3 }}>
          <ErrorAlert error={current.error} title="switchyard.yaml could not be checked" testId="pipeline-editor-check-error" />
        </Box>
      ) : null}
      {diagnostics ? <Problems diagnostics={diagnostics} stale={stale} onPick={goTo} /> : null}
      {plan ? <Preview plan={plan} stale={stale} /> : null}
      <Dialog
        open={askReload}
        onClose={() => setAskReload(false)}
        aria-labelledby="pipeline-editor-reload-title"
        maxWidth="xs"
        fullWidth
      >
        <DialogTitle id="pipeline-editor-reload-title">Reload switchyard.yaml from disk?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The editor then shows the file as it is on disk now, and your changes here are discarded. Copy them first if
            you want to keep some.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setAskReload(false)} autoFocus data-testid="pipeline-editor-reload-cancel">
            Keep editing
          </Button>
          <Button color="error" onClick={() => void reloadFromDisk()} data-testid="pipeline-editor-reload-confirm">
            Discard and reload
          </Button>
        </DialogActions>
      </Dialog>
      <Dialog
        open={blocker.state === "blocked"}
        onClose={() => blocker.reset?.()}
        aria-labelledby="pipeline-editor-leave-title"
        maxWidth="xs"
        fullWidth
      >
        <DialogTitle id="pipeline-editor-leave-title">Discard unsaved changes?</DialogTitle>
        <DialogContent>
          <DialogContentText>Your changes to switchyard.yaml are not saved. Leaving this page discards them.</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => blocker.reset?.()} autoFocus data-testid="pipeline-editor-leave-stay">
            Stay
          </Button>
          <Button color="error" onClick={() => blocker.proceed?.()} data-testid="pipeline-editor-leave-discard">
            Discard
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/**
 * The editor of a project's switchyard.yaml: line numbers, a check as typing
 * stops (problems with their line, or the jobs it will run), and a save that
 * never overwrites a file changed on disk meanwhile.
 */
export function PipelineEditorView() {
  const { name = "" } = useParams();
  const file = useLoader(`pipeline-file:${name}`, () => pipelineFile(name));
  const projectPath = `/projects/${encodeURIComponent(name)}`;

  const crumbs = (
    <Breadcrumbs sx={{ mb: 1 }}>
      <Link component={RouterLink} to="/projects" underline="hover" color="inherit">
        Projects
      </Link>
      <Link component={RouterLink} to={projectPath} underline="hover" color="inherit" data-testid="pipeline-editor-project">
        {name}
      </Link>
      <Typography color="text.primary">Pipeline</Typography>
    </Breadcrumbs>
  );

  if (file.loading) {
    return (
      <>
        {crumbs}
        <PageLoading />
      </>
    );
  }
  if (!file.data) {
    const missing = file.error?.code === "not_found";
    return (
      <>
        {crumbs}
        <PageHeader title="Edit switchyard.yaml" />
        {file.error ? (
          <ErrorAlert
            error={file.error}
            title={missing ? "No such project" : "switchyard.yaml could not be opened"}
            onRetry={missing ? undefined : file.reload}
          />
        ) : null}
        <Button component={RouterLink} to={missing ? "/projects" : projectPath} sx={{ mt: 2 }}>
          {missing ? "Back to projects" : "Back to the project"}
        </Button>
      </>
    );
  }
  return (
    <>
      {crumbs}
      <PipelineEditor key={name} project={name} file={file.data} />
    </>
  );
}
