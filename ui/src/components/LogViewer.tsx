import DownloadIcon from "@mui/icons-material/Download";
import FilterListIcon from "@mui/icons-material/FilterList";
import KeyboardArrowDownIcon from "@mui/icons-material/KeyboardArrowDown";
import KeyboardArrowRightIcon from "@mui/icons-material/KeyboardArrowRight";
import KeyboardArrowUpIcon from "@mui/icons-material/KeyboardArrowUp";
import LinkIcon from "@mui/icons-material/Link";
import ScheduleIcon from "@mui/icons-material/Schedule";
import SearchIcon from "@mui/icons-material/Search";
import UnfoldLessIcon from "@mui/icons-material/UnfoldLess";
import UnfoldMoreIcon from "@mui/icons-material/UnfoldMore";
import VerticalAlignBottomIcon from "@mui/icons-material/VerticalAlignBottom";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import IconButton from "@mui/material/IconButton";
import InputAdornment from "@mui/material/InputAdornment";
import Stack from "@mui/material/Stack";
import { alpha, useTheme } from "@mui/material/styles";
import TextField from "@mui/material/TextField";
import ToggleButton from "@mui/material/ToggleButton";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type KeyboardEvent,
  type ReactNode,
} from "react";

import {
  countLogMatches,
  filterLog,
  logSections,
  onLog,
  pickLogSavePath,
  readLog,
  saveLog,
  searchLog,
  toErrorDto,
} from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { LogAppendDto } from "../bindings/LogAppendDto";
import type { LogFilter } from "../bindings/LogFilter";
import type { LogLine } from "../bindings/LogLine";
import type { LogSection } from "../bindings/LogSection";
import type { StepView } from "../bindings/StepView";
import { formatCount, formatDateTime } from "../format";
import { useLatestRef, useSubscription } from "../hooks";
import { copyText, logLineLink } from "../links";
import { useNotify } from "../notify";
import { useShortcut } from "../shortcuts";
import { MONO_FONT } from "../theme";
import { AnsiText, useAnsiColors } from "./AnsiText";
import { ErrorAlert } from "./ErrorAlert";
import { filteredRows, findRange, foldedRows, mergeSections, neighbour, type LogRows } from "../logRows";
import { LogStore } from "../logStore";

/** Height of one log line in pixels (every line is one row). */
export const LINE_HEIGHT = 20;
/** Lines drawn above and below the visible ones. */
export const OVERSCAN = 30;
/** Past this many pixels the scroll range is scaled, so huge logs stay within browser limits. */
export const MAX_SCROLL_HEIGHT = 8_000_000;
const DEFAULT_VIEWPORT = 600;
/** Quiet time after typing before the matches are counted. */
export const COUNT_DELAY_MS = 250;
/**
 * While a job writes, what reads the whole log (the match count, the filter,
 * the steps' sections) is read again this often, when lines came.
 */
const LIVE_COUNT_MS = 3000;
/** What a failed job's log opens at: the first line containing it (any case). */
export const FIRST_ERROR_QUERY = "error";

export interface LogViewerProps {
  jobId: number;
  /** The job may still write lines (queued or running): follow starts on. */
  live: boolean;
  /** Suggested file name for Download. */
  fileName: string;
  /** The job's steps, for step markers. */
  steps: StepView[];
  /** Viewer height (CSS). */
  height?: number | string;
  /** The run and the job's name: with both, each line has a button that copies its `switchyard://` link. */
  runId?: number;
  jobName?: string;
  /** A line to open at and mark (`data-linked`), 1-based: a link's `#L<n>` (`?line=`). */
  line?: number | null;
  /** Changes when the same line is asked for again (a new navigation): it is scrolled to again. */
  lineKey?: string;
  /**
   * A failed job: open at the first line containing "error" (marked
   * `data-first-error`), else at the end. Read when mounted, and only when no
   * `line` is asked for.
   */
  openAtFirstError?: boolean;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** The rows of the whole log with the `folded` sections (by first line) showing only their first line. */
function foldRows(total: number, sections: readonly LogSection[], folded: ReadonlySet<number>): LogRows {
  const hidden = sections.filter((s) => s.step !== null && folded.has(s.first)).map((s) => ({ first: s.first + 1, last: s.last }));
  return foldedRows(total, hidden);
}

/** An answer of `filter_log`, with what it answers. */
interface FilterAnswer extends LogFilter {
  /** The text asked for. */
  query: string;
  /** Which time the filter was on: an answer that comes after it was turned off is never shown. */
  gen: number;
  /** The call failed (the error is shown instead of lines). */
  failed: boolean;
}

/**
 * A job's log: virtualized (only the visible window of lines is in the DOM,
 * fetched page by page with `read_log`), live (lines from
 * `switchyard://log/{job_id}`), with ANSI colours, search (with a match
 * count, and a filter to only the matching lines), follow mode, timestamps,
 * steps marked and folding, Download and a copyable link per line. Opens at
 * a linked line, or a failed job's first error.
 */
export function LogViewer({
  jobId,
  live,
  fileName,
  steps,
  height = "min(68vh, 880px)",
  runId,
  jobName,
  line: linkedLine = null,
  lineKey,
  openAtFirstError = false,
}: LogViewerProps) {
  const theme = useTheme();
  const notify = useNotify();
  const [store] = useState(() => new LogStore((from, count) => readLog(jobId, from, count)));
  useSyncExternalStore(store.subscribe, store.getVersion);
  const total = store.total;

  const subscribeLog = useCallback(
    (handler: (e: LogAppendDto) => void) => onLog(jobId, handler),
    [jobId],
  );
  useSubscription(subscribeLog, (e) => store.append(e.lines, e.total));

  // ---- Rows: the whole log with folded steps, or only the matching lines ----
  const [sections, setSections] = useState<LogSection[]>([]);
  // Folded sections by first line: a section never moves, the log only grows.
  const [folded, setFolded] = useState<ReadonlySet<number>>(() => new Set());
  const [query, setQuery] = useState("");
  const [filtering, setFiltering] = useState(false);
  const [filterGen, setFilterGen] = useState(0);
  const [filter, setFilter] = useState<FilterAnswer | null>(null);
  // The answer on screen: it takes over from `filter` while rendering, where the view can be kept in place.
  const [shownFilter, setShownFilter] = useState<FilterAnswer | null>(null);
  const foldMap = useMemo(() => foldRows(total, sections, folded), [total, sections, folded]);
  const filterMap = useMemo(() => (filtering && shownFilter ? filteredRows(shownFilter.lines) : null), [filtering, shownFilter]);
  const rowMap = filterMap ?? foldMap;
  const rowCount = rowMap.count;

  // ---- Geometry -----------------------------------------------------------
  const scrollRef = useRef<HTMLDivElement>(null);
  const expected = useRef<number | null>(null);
  const [viewportH, setViewportH] = useState(DEFAULT_VIEWPORT);
  const [scrollTop, setScrollTop] = useState(0);
  const [follow, setFollow] = useState(live);
  const [jump, setJump] = useState<{ top: number; seq: number } | null>(null);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (el.clientHeight > 0) setViewportH(el.clientHeight);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const naturalH = rowCount * LINE_HEIGHT;
  const spacerH = Math.min(naturalH, MAX_SCROLL_HEIGHT);
  const maxScroll = Math.max(0, spacerH - viewportH);
  const naturalMax = Math.max(0, naturalH - viewportH);
  const top = follow ? maxScroll : clamp(scrollTop, 0, maxScroll);
  const topPx = maxScroll > 0 ? (top / maxScroll) * naturalMax : 0;
  const firstIdx = Math.max(0, Math.floor(topPx / LINE_HEIGHT) - OVERSCAN);
  const lastIdx = Math.min(rowCount - 1, Math.ceil((topPx + viewportH) / LINE_HEIGHT) + OVERSCAN);
  const lineOfRow = (row: number) => (rowCount > 0 ? rowMap.lineAt(clamp(row, 0, rowCount - 1)) : 0);
  const firstVisible = lineOfRow(Math.floor(topPx / LINE_HEIGHT));
  const lastVisible = lineOfRow(Math.ceil((topPx + viewportH) / LINE_HEIGHT) - 1);
  const loaded = store.loaded;

  // Fetch the lines in view (a short delay folds a fast scroll into one request).
  // Plain rows are lines 1..total: a growing log (a new map each batch) must
  // not keep pushing that delay back.
  const scatteredRows = rowMap.contiguous ? null : rowMap;
  useEffect(() => {
    const from = firstIdx + 1;
    const to = loaded ? lastIdx + 1 : from;
    const scattered: number[] = [];
    if (scatteredRows) for (let row = firstIdx; row <= lastIdx; row++) scattered.push(scatteredRows.lineAt(row));
    const timer = window.setTimeout(
      () => (scatteredRows ? store.ensureLines(scattered) : store.ensure(from, to)),
      loaded ? 40 : 0,
    );
    return () => window.clearTimeout(timer);
  }, [store, firstIdx, lastIdx, loaded, scatteredRows]);

  // Keep the DOM scroll position where follow mode or a jump wants it.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || !follow) return;
    if (Math.abs(el.scrollTop - maxScroll) > 1) {
      expected.current = maxScroll;
      el.scrollTop = maxScroll;
    }
  }, [follow, maxScroll]);
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || !jump) return;
    expected.current = jump.top;
    el.scrollTop = jump.top;
  }, [jump]);

  // Scrolls the list, as it will be with `rows`, to `natural` px from its top (unscaled).
  const jumpTo = (natural: number, rows: LogRows) => {
    const h = rows.count * LINE_HEIGHT;
    const max = Math.max(0, Math.min(h, MAX_SCROLL_HEIGHT) - viewportH);
    const nMax = Math.max(0, h - viewportH);
    const target = nMax > 0 ? (clamp(natural, 0, nMax) / nMax) * max : 0;
    setScrollTop(target);
    setJump((j) => ({ top: target, seq: (j?.seq ?? 0) + 1 }));
  };
  const centre = (n: number, rows: LogRows) => jumpTo(rows.rowOf(n) * LINE_HEIGHT - viewportH / 2 + LINE_HEIGHT / 2, rows);
  // When the rows change (a fold, the filter), line n (or the row in its place) stays where it is in the view, or is centred.
  const keepInView = (n: number, rows: LogRows) => {
    const offset = rowMap.rowOf(n) * LINE_HEIGHT - topPx;
    if (rowMap.has(n) && offset > -LINE_HEIGHT && offset < viewportH) jumpTo(rows.rowOf(n) * LINE_HEIGHT - offset, rows);
    else centre(n, rows);
  };
  // The line at the top of the view, which folding and the filter keep in place.
  const topLine = rowCount > 0 ? firstVisible : null;

  // The folded rows once line n is shown: its section unfolded when n is folded away.
  const unfoldFor = (n: number): LogRows => {
    const s = findRange(sections, n);
    if (!s || n === s.first || !folded.has(s.first)) return foldMap;
    const next = new Set(folded);
    next.delete(s.first);
    setFolded(next);
    return foldRows(total, sections, next);
  };

  const leaveFilter = () => {
    setFiltering(false);
    setFilterGen((g) => g + 1);
    setShownFilter(null);
  };

  // A target (a hit, a link, the first error) is always reached: out of a folded step, out of a filter it is not in.
  const scrollToLine = (n: number) => {
    let rows = rowMap;
    if (!filterMap?.has(n)) {
      if (filtering) leaveFilter();
      rows = unfoldFor(n);
    }
    setFollow(false);
    centre(n, rows);
  };

  // ---- Where the log opens: a linked line, or a failed job's first error ----
  // The user moved through the log: a late answer does not pull the view away.
  const userMoved = useRef(false);
  const [mark, setMark] = useState<{ line: number; kind: "linked" | "error" } | null>(null);
  // Where to go once the log's length is known.
  const [goTo, setGoTo] = useState<{ line: number; kind: "linked" | "error" } | { kind: "end" } | null>(null);
  const linkKey = linkedLine ? `${linkedLine}|${lineKey ?? ""}` : null;
  const [seenLink, setSeenLink] = useState<string | null>(null);
  if (linkKey !== seenLink) {
    setSeenLink(linkKey);
    if (linkedLine) setGoTo({ line: linkedLine, kind: "linked" });
  }
  if (goTo && loaded) {
    setGoTo(null);
    if (goTo.kind !== "linked" && mark?.kind === "linked") {
      // A link came while the first error was looked for: the link wins.
    } else if (goTo.kind === "end") {
      if (total > 0) scrollToLine(total);
    } else {
      scrollToLine(Math.min(goTo.line, Math.max(1, total)));
      setMark({ line: goTo.line, kind: goTo.kind });
    }
  }

  const [openAtError] = useState(() => openAtFirstError && !linkedLine);
  const errorAsked = useRef(false);
  useEffect(() => {
    if (!openAtError || !loaded || errorAsked.current) return;
    errorAsked.current = true;
    if (total === 0) return;
    searchLog(jobId, FIRST_ERROR_QUERY, 0, false)
      .catch(() => null)
      .then((found) => {
        if (userMoved.current) {
          if (found !== null) setMark((m) => (m?.kind === "linked" ? m : { line: found, kind: "error" }));
        } else {
          setGoTo(found !== null ? { line: found, kind: "error" } : { kind: "end" });
        }
      });
  }, [openAtError, loaded, total, jobId]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const st = el.scrollTop;
    const programmatic = expected.current !== null && Math.abs(st - expected.current) <= 2;
    expected.current = null;
    setScrollTop(st);
    if (!programmatic) userMoved.current = true;
    if (!programmatic && follow && st < maxScroll - LINE_HEIGHT) setFollow(false);
  };

  const stopFollowing = () => {
    userMoved.current = true;
    if (follow) {
      setScrollTop(top);
      setFollow(false);
    }
  };

  const toggleFollow = () => {
    userMoved.current = true;
    if (follow) stopFollowing();
    else setFollow(true);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"].includes(e.key)) userMoved.current = true;
    if (e.key === "ArrowUp" || e.key === "PageUp" || e.key === "Home") stopFollowing();
  };

  // ---- Search ---------------------------------------------------------------
  const searchRef = useRef<HTMLInputElement>(null);
  const [hit, setHit] = useState<{ line: number; query: string } | null>(null);
  const [searchNote, setSearchNote] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const [actionError, setActionError] = useState<ErrorDto | null>(null);

  const search = async (backwards: boolean) => {
    const q = query;
    if (q.trim() === "" || searching) return;
    userMoved.current = true;
    setSearching(true);
    setActionError(null);
    const current = filterMap && shownFilter?.query === q ? shownFilter : null;
    // The filter's lines for this text are the hits: no need to ask the shell,
    // unless the filter was capped and the next hit lies past its last line.
    const shown = current && !current.failed ? current : null;
    const find = async (from: number) => {
      if (!shown) return searchLog(jobId, q, from, backwards);
      const last = shown.lines[shown.lines.length - 1] ?? 0;
      const capped = shown.lines.length < shown.total;
      if (capped && (backwards ? from > last + 1 : from >= last)) return searchLog(jobId, q, from, backwards);
      return neighbour(shown.lines, from, backwards);
    };
    try {
      const from =
        hit && hit.query === q ? hit.line : backwards ? Math.min(total + 1, lastVisible + 1) : Math.max(0, firstVisible - 1);
      let found = await find(from);
      let wrapped = false;
      const wrapFrom = backwards ? Math.max(total, store.total) + 1 : 0;
      if (found === null && wrapFrom !== from) {
        found = await find(wrapFrom);
        wrapped = found !== null;
      }
      if (found === null) {
        setHit(null);
        setSearchNote("No matches");
      } else {
        setHit({ line: found, query: q });
        setSearchNote(wrapped ? (backwards ? "Wrapped to the end" : "Wrapped to the start") : null);
        // While the filter's lines for this text are on their way, they open at the hit when they come.
        if (!filtering || current) scrollToLine(found);
      }
    } catch (error) {
      setActionError(toErrorDto(error));
    } finally {
      setSearching(false);
    }
  };

  // "3 / 41": lines matching the query, and how many of them are at or before the current hit.
  const countAt = hit && hit.query === query ? hit.line : 0;
  const [count, setCount] = useState<{ query: string; total: number; position: number } | null>(null);
  const countSeq = useRef(0);
  const [liveTick, setLiveTick] = useState(0);
  useEffect(() => {
    const q = query;
    if (q.trim() === "") return;
    const timer = window.setTimeout(() => {
      const id = ++countSeq.current;
      countLogMatches(jobId, q, countAt).then(
        (c) => {
          if (id === countSeq.current) setCount({ query: q, total: c.total, position: c.position });
        },
        () => {
          // No count (an older shell, a log being rotated): the search works without it.
          if (id === countSeq.current) setCount(null);
        },
      );
    }, COUNT_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [jobId, query, countAt, live, liveTick]);
  useEffect(() => {
    // While the job writes, count, filter and find the sections again now and then if lines came.
    if (!live || !loaded) return;
    let seen = store.total;
    const timer = window.setInterval(() => {
      if (store.total === seen) return;
      seen = store.total;
      setLiveTick((t) => t + 1);
    }, LIVE_COUNT_MS);
    return () => window.clearInterval(timer);
  }, [live, loaded, store]);
  const countText =
    !count || count.query !== query || query.trim() === ""
      ? ""
      : count.total === 0
        ? // The status beside it already says so after a search.
          searchNote === "No matches"
          ? ""
          : "No matches"
        : count.position > 0
          ? `${formatCount(Math.min(count.position, count.total))} / ${formatCount(count.total)}`
          : `${formatCount(count.total)} match${count.total === 1 ? "" : "es"}`;

  // ---- Only matching lines ------------------------------------------------------
  const filterSeq = useRef(0);
  const filterAnswered = useRef(0);
  useEffect(() => {
    if (!filtering) return;
    const q = query;
    const gen = filterGen;
    const timer = window.setTimeout(() => {
      const id = ++filterSeq.current;
      filterLog(jobId, q).then(
        (f) => {
          if (id < filterAnswered.current) return;
          filterAnswered.current = id;
          setFilter({ ...f, query: q, gen, failed: false });
        },
        (error: unknown) => {
          if (id < filterAnswered.current) return;
          filterAnswered.current = id;
          setActionError(toErrorDto(error));
          // A failed refresh keeps the lines shown; for a new text, showing another text's lines would mislead.
          setFilter((f) => (f && f.gen === gen && f.query === q ? f : { lines: [], total: 0, query: q, gen, failed: true }));
        },
      );
    }, COUNT_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [filtering, filterGen, jobId, query, live, liveTick]);

  const arrived = filtering && filter?.gen === filterGen ? filter : null;
  if (arrived && arrived !== shownFilter) {
    setShownFilter(arrived);
    // New lines for the same text (a live refresh) leave the view alone; other lines open at the hit, else at the line in view.
    const anchor = hit?.query === arrived.query ? hit.line : topLine;
    if (arrived.query !== shownFilter?.query && anchor !== null && !follow) keepInView(anchor, filteredRows(arrived.lines));
  }

  const toggleFilter = () => {
    userMoved.current = true;
    if (!filtering) {
      setActionError(null);
      setFiltering(true);
      return;
    }
    leaveFilter();
    if (follow) return;
    const hitInView = hit?.query === query && hit.line >= firstVisible && hit.line <= lastVisible;
    const anchor = hitInView ? hit.line : topLine;
    if (anchor !== null) keepInView(anchor, unfoldFor(anchor));
  };

  const filterStatus = !filtering
    ? null
    : !shownFilter || shownFilter.query !== query
      ? "Finding the matching lines…"
      : shownFilter.failed
        ? null
        : shownFilter.total === 0
          ? "No line matches"
          : shownFilter.lines.length < shownFilter.total
            ? `Showing the first ${formatCount(shownFilter.lines.length)} of ${formatCount(shownFilter.total)} matching lines`
            : `${formatCount(shownFilter.total)} of ${formatCount(total)} line${total === 1 ? "" : "s"} match${shownFilter.total === 1 ? "es" : ""}`;

  // ---- Steps as sections that fold ------------------------------------------------
  const sectionsSeq = useRef(0);
  const sectionsAnswered = useRef(0);
  // Once known, a live log is asked again only from the last line known, so
  // a refresh reads what came since, not the whole log. One request at a
  // time, and the refresh asked for meanwhile follows it (never dropped: the
  // last one, when the job ends, gives the final sections).
  const knownSections = useLatestRef(sections);
  const sectionsBusy = useRef(false);
  const sectionsAgain = useRef(false);
  const [sectionsNudge, setSectionsNudge] = useState(0);
  useEffect(() => {
    if (!loaded || store.total === 0) return;
    if (sectionsBusy.current) {
      sectionsAgain.current = true;
      return;
    }
    sectionsBusy.current = true;
    const id = ++sectionsSeq.current;
    const known = knownSections.current;
    const from = known.length > 0 ? known[known.length - 1].last : 1;
    logSections(jobId, from)
      .then(
        (s) => {
          // The log only grows: any newer answer than the one shown is better.
          if (id < sectionsAnswered.current) return;
          sectionsAnswered.current = id;
          setSections((prev) => (from === 1 ? s : mergeSections(prev, from, s)));
        },
        () => {
          // No sections (an older shell): the steps are marked but do not fold.
        },
      )
      .finally(() => {
        sectionsBusy.current = false;
        if (sectionsAgain.current) {
          sectionsAgain.current = false;
          setSectionsNudge((n) => n + 1);
        }
      });
  }, [jobId, loaded, live, liveTick, store, sectionsNudge, knownSections]);
  const stepSections = useMemo(() => sections.filter((s) => s.step !== null), [sections]);
  const lastSection = sections.length > 0 ? sections[sections.length - 1] : undefined;

  const changeFolds = (next: ReadonlySet<number>, anchor: number | null) => {
    userMoved.current = true;
    setFolded(next);
    if (!follow && anchor !== null) keepInView(anchor, foldRows(total, sections, next));
  };
  const toggleSection = (first: number) => {
    const next = new Set(folded);
    if (!next.delete(first)) next.add(first);
    changeFolds(next, first);
  };

  /** "Step 2: compile", "Attempt 2 · Step 1: compile" (lower case inside a sentence). */
  const stepTitle = (attempt: number, step: number, capital: boolean) => {
    const name = steps.find((s) => s.idx === step)?.name;
    const [a, st] = capital ? ["Attempt", "Step"] : ["attempt", "step"];
    return `${attempt > 1 ? `${a} ${attempt} · ` : ""}${st} ${step + 1}${name ? `: ${name}` : ""}`;
  };

  // Where a step (or a step of another attempt) starts: from the sections where they reach, else from the line before.
  const stepStart = (n: number, line: LogLine | undefined): { attempt: number; step: number; section?: LogSection } | null => {
    if (lastSection && n <= lastSection.last) {
      const s = findRange(sections, n);
      return s && s.first === n && s.step !== null ? { attempt: s.attempt, step: s.step, section: s } : null;
    }
    if (!line || line.step === null) return null;
    const prev = lastSection && n - 1 === lastSection.last ? lastSection : store.line(n - 1);
    return n === 1 || (prev && (prev.step !== line.step || prev.attempt !== line.attempt))
      ? { attempt: line.attempt, step: line.step }
      : null;
  };

  const copyLineLink = async (n: number) => {
    if (runId === undefined || jobName === undefined) return;
    const link = logLineLink(runId, jobName, n);
    if (await copyText(link)) notify(`Link to line ${formatCount(n)} copied`, "success");
    else notify(`The link could not be copied; here it is: ${link}`, "warning");
  };

  const [showTimestamps, setShowTimestamps] = useState(false);

  const download = async () => {
    setActionError(null);
    try {
      const path = await pickLogSavePath(fileName);
      if (!path) return;
      await saveLog(jobId, path);
      notify(`Log saved to ${path}`, "success");
    } catch (error) {
      setActionError(toErrorDto(error));
    }
  };

  useShortcut("/", "Search the log", () => searchRef.current?.focus());
  useShortcut("n", "Next match in the log", () => void search(false), query.trim() !== "");
  useShortcut("N", "Previous match in the log", () => void search(true), query.trim() !== "");
  useShortcut("f", "Follow the log on/off", toggleFollow);

  const colors = useAnsiColors();

  // ---- Rows -------------------------------------------------------------------
  const gutter = `${Math.max(4, String(total).length) + 1}ch`;
  const rows: ReactNode[] = [];
  for (let row = firstIdx; row <= lastIdx; row++) {
    const n = rowMap.lineAt(row);
    const line = store.line(n);
    const y = top + (row * LINE_HEIGHT - topPx);
    const start = stepStart(n, line);
    const marker = start ? stepTitle(start.attempt, start.step, true) : null;
    // Folding is for the whole log (not a filter's lines), and for a section with more than its first line.
    const foldable = !filterMap && start?.section && Math.min(start.section.last, total) > n ? start.section : null;
    const isFolded = foldable !== null && folded.has(n);
    const foldedLines = foldable ? Math.min(foldable.last, total) - n : 0;
    const isHit = hit?.line === n;
    const linked = mark?.line === n && mark.kind === "linked";
    const firstError = mark?.line === n && mark.kind === "error";
    const classes = [
      "log-line",
      line ? `s-${line.stream}` : "pending",
      marker ? "step-start" : "",
      isFolded ? "folded" : "",
      isHit ? "hit" : "",
      linked || firstError ? "marked" : "",
    ]
      .filter(Boolean)
      .join(" ");
    rows.push(
      <div
        key={n}
        className={classes}
        style={{ top: y }}
        data-testid="log-line"
        data-line={n}
        data-hit={isHit ? "true" : undefined}
        data-linked={linked ? "true" : undefined}
        data-first-error={firstError ? "true" : undefined}
        aria-current={isHit ? "true" : undefined}
      >
        <span className="ln" style={{ width: gutter }}>
          {runId !== undefined && jobName !== undefined ? (
            <button
              type="button"
              className="ll"
              onClick={() => void copyLineLink(n)}
              aria-label={`Copy a link to line ${n}`}
              title={`Copy a link to line ${n}`}
              data-testid="log-line-link"
            >
              <LinkIcon fontSize="inherit" />
            </button>
          ) : null}
          <span aria-hidden="true">{n}</span>
        </span>
        {showTimestamps ? (
          <span className="ts" data-testid="log-timestamp">
            {line ? formatDateTime(line.ts) : ""}
          </span>
        ) : null}
        {start && foldable ? (
          <button
            type="button"
            className="fold"
            onClick={() => toggleSection(n)}
            aria-expanded={!isFolded}
            aria-label={`${isFolded ? "Unfold" : "Fold"} ${stepTitle(start.attempt, start.step, false)}`}
            title={isFolded ? "Unfold" : "Fold"}
            data-testid="log-section-toggle"
            data-step={start.step}
            data-attempt={start.attempt}
          >
            {isFolded ? <KeyboardArrowRightIcon fontSize="inherit" /> : <KeyboardArrowDownIcon fontSize="inherit" />}
          </button>
        ) : null}
        {marker ? (
          <span className="marker" data-testid="log-step-marker">
            {marker}
          </span>
        ) : null}
        {isFolded ? (
          <span className="folded-note" data-testid="log-section-folded">
            {formatCount(foldedLines)} line{foldedLines === 1 ? "" : "s"} folded
          </span>
        ) : null}
        <span className="tx">
          {line ? <AnsiText text={line.text} colors={colors} highlight={hit?.query} /> : <span className="wait">…</span>}
        </span>
      </div>,
    );
  }

  const dark = theme.palette.mode === "dark";
  const status = !loaded
    ? "Loading the log…"
    : total === 0
      ? live
        ? "No output yet. Lines appear here as the job writes them."
        : "This job wrote no output."
      : null;

  return (
    <Box data-testid="log-panel">
      <Stack direction="row" gap={1} alignItems="center" flexWrap="wrap" sx={{ mb: 1 }}>
        <TextField
          size="small"
          placeholder="Search the log"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setSearchNote(null);
            if (filtering && e.target.value.trim() === "") toggleFilter();
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              void search(e.shiftKey);
            } else if (e.key === "Escape") {
              (e.target as HTMLInputElement).blur();
            }
          }}
          inputRef={searchRef}
          sx={{ width: 280 }}
          slotProps={{
            htmlInput: { "data-testid": "log-search-input", "aria-label": "Search the log", "aria-keyshortcuts": "/" },
            input: {
              startAdornment: (
                <InputAdornment position="start">
                  <SearchIcon fontSize="small" />
                </InputAdornment>
              ),
            },
          }}
        />
        <Tooltip title="Previous match (N, Shift+Enter)">
          <span>
            <IconButton
              size="small"
              onClick={() => void search(true)}
              disabled={!query.trim() || searching}
              aria-label="Previous match"
              data-testid="log-search-prev"
            >
              <KeyboardArrowUpIcon />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Next match (n, Enter)">
          <span>
            <IconButton
              size="small"
              onClick={() => void search(false)}
              disabled={!query.trim() || searching}
              aria-label="Next match"
              data-testid="log-search-next"
            >
              <KeyboardArrowDownIcon />
            </IconButton>
          </span>
        </Tooltip>
        <ToggleButton
          size="small"
          value="filter"
          selected={filtering}
          onChange={toggleFilter}
          disabled={!query.trim()}
          data-testid="log-filter"
          sx={{ py: 0.5, gap: 0.5 }}
        >
          <FilterListIcon fontSize="small" /> Only matching lines
        </ToggleButton>
        <Typography variant="body2" color="text.secondary" data-testid="log-search-count" aria-live="polite" sx={{ minWidth: 56 }}>
          {countText}
        </Typography>
        <Typography variant="body2" color="text.secondary" data-testid="log-search-status" role="status" sx={{ minWidth: 90 }}>
          {searchNote ?? (hit ? `Line ${formatCount(hit.line)}` : "")}
        </Typography>
        <Box sx={{ flex: 1 }} />
        <Typography variant="body2" color="text.secondary" data-testid="log-total">
          {formatCount(total)} line{total === 1 ? "" : "s"}
        </Typography>
        <ToggleButton
          size="small"
          value="follow"
          selected={follow}
          onChange={toggleFollow}
          data-testid="log-follow"
          aria-label="Follow the end of the log"
          aria-keyshortcuts="f"
          sx={{ py: 0.5, gap: 0.5 }}
        >
          <VerticalAlignBottomIcon fontSize="small" /> Follow
        </ToggleButton>
        <ToggleButton
          size="small"
          value="timestamps"
          selected={showTimestamps}
          onChange={() => setShowTimestamps((v) => !v)}
          data-testid="log-timestamps"
          aria-label="Show timestamps"
          sx={{ py: 0.5, gap: 0.5 }}
        >
          <ScheduleIcon fontSize="small" /> Timestamps
        </ToggleButton>
        <Button
          size="small"
          variant="outlined"
          startIcon={<UnfoldLessIcon />}
          onClick={() => changeFolds(new Set(stepSections.map((s) => s.first)), topLine)}
          disabled={filtering || stepSections.length === 0}
          data-testid="log-fold-all"
        >
          Fold all
        </Button>
        <Button
          size="small"
          variant="outlined"
          startIcon={<UnfoldMoreIcon />}
          onClick={() => changeFolds(new Set(), topLine)}
          disabled={filtering || stepSections.length === 0}
          data-testid="log-unfold-all"
        >
          Unfold all
        </Button>
        <Button size="small" variant="outlined" startIcon={<DownloadIcon />} onClick={download} data-testid="log-download">
          Download
        </Button>
      </Stack>
      {filterStatus ? (
        <Typography variant="body2" color="text.secondary" data-testid="log-filter-status" role="status" sx={{ mb: 1 }}>
          {filterStatus}
        </Typography>
      ) : null}
      {actionError ? (
        <Box sx={{ mb: 1 }}>
          <ErrorAlert error={actionError} />
        </Box>
      ) : null}
      {store.error ? (
        <Box sx={{ mb: 1 }}>
          <ErrorAlert error={store.error} title="The log could not be read" />
        </Box>
      ) : null}
      <Box
        ref={scrollRef}
        onScroll={onScroll}
        onWheel={(e) => {
          if (e.deltaY < 0) stopFollowing();
        }}
        onKeyDown={onKeyDown}
        tabIndex={0}
        role="log"
        aria-label="Job log"
        aria-live="off"
        data-testid="log-viewer"
        data-total={total}
        data-follow={follow ? "true" : "false"}
        sx={{
          height,
          minHeight: 240,
          overflow: "auto",
          position: "relative",
          borderRadius: 1,
          border: 1,
          borderColor: "divider",
          bgcolor: colors.background,
          color: colors.foreground,
          fontFamily: MONO_FONT,
          fontSize: 12.5,
          lineHeight: `${LINE_HEIGHT}px`,
          outline: "none",
          "&:focus-visible": { boxShadow: `0 0 0 2px ${theme.palette.primary.main}` },
          "& .log-line": {
            position: "absolute",
            left: 0,
            minWidth: "100%",
            height: LINE_HEIGHT,
            whiteSpace: "pre",
            display: "flex",
            alignItems: "stretch",
          },
          "& .log-line:hover": { bgcolor: dark ? "rgba(255,255,255,0.04)" : "rgba(0,0,0,0.03)" },
          "& .ln": {
            position: "sticky",
            left: 0,
            flexShrink: 0,
            textAlign: "right",
            pr: 1.5,
            mr: 1,
            color: dark ? "#5c6673" : "#8c959f",
            bgcolor: colors.background,
            userSelect: "none",
            borderRight: 1,
            borderColor: "divider",
          },
          "& .ts": { color: dark ? "#7d8794" : "#6e7781", mr: 1.5, flexShrink: 0 },
          "& .marker": {
            flexShrink: 0,
            mr: 1,
            px: 0.75,
            borderRadius: 0.5,
            fontSize: 11,
            fontWeight: 700,
            color: theme.palette.primary.contrastText,
            bgcolor: theme.palette.primary.main,
            lineHeight: `${LINE_HEIGHT - 4}px`,
            alignSelf: "center",
          },
          "& .step-start": { borderTop: `1px solid ${theme.palette.primary.main}` },
          "& .folded": { borderBottom: `1px dashed ${theme.palette.primary.main}` },
          "& .fold": {
            flexShrink: 0,
            alignSelf: "center",
            width: LINE_HEIGHT - 4,
            height: LINE_HEIGHT - 4,
            mr: 0.5,
            p: 0,
            display: "flex",
            alignItems: "center",
            justifyContent: "center",
            fontSize: 16,
            border: 0,
            borderRadius: 0.5,
            cursor: "pointer",
            color: "inherit",
            bgcolor: "transparent",
          },
          "& .fold:hover": { bgcolor: alpha(theme.palette.primary.main, 0.2) },
          "& .fold:focus-visible": { outline: `2px solid ${theme.palette.primary.main}` },
          "& .folded-note": {
            flexShrink: 0,
            mr: 1,
            px: 0.75,
            borderRadius: 0.5,
            fontSize: 11,
            lineHeight: `${LINE_HEIGHT - 6}px`,
            alignSelf: "center",
            border: `1px solid ${theme.palette.divider}`,
            color: dark ? "#9aa4b1" : "#57606a",
          },
          "& .s-stderr .tx": { color: dark ? "#ffb4a9" : "#9a1b1b" },
          "& .s-system .tx": { color: theme.palette.info.main, fontStyle: "italic" },
          "& .hit": { bgcolor: dark ? "rgba(255, 213, 79, 0.16)" : "rgba(255, 213, 79, 0.35)" },
          "& .marked": {
            bgcolor: alpha(theme.palette.primary.main, dark ? 0.22 : 0.14),
            boxShadow: `inset 3px 0 0 ${theme.palette.primary.main}`,
          },
          "& .marked.hit": { bgcolor: dark ? "rgba(255, 213, 79, 0.16)" : "rgba(255, 213, 79, 0.35)" },
          // The line's link button: over its number, shown on hover or focus.
          "& .ll": {
            position: "absolute",
            left: 2,
            top: 2,
            width: LINE_HEIGHT - 4,
            height: LINE_HEIGHT - 4,
            p: 0,
            display: "flex",
            alignItems: "center",
            justifyContent: "center",
            fontSize: 14,
            border: 0,
            borderRadius: 0.5,
            cursor: "pointer",
            color: theme.palette.primary.main,
            bgcolor: colors.background,
            opacity: 0,
          },
          "& .log-line:hover .ll, & .ll:focus-visible": { opacity: 1 },
          "& .ll:focus-visible": { outline: `2px solid ${theme.palette.primary.main}` },
          "& .wait": { opacity: 0.4 },
        }}
      >
        {status ? (
          <Typography sx={{ p: 2, fontFamily: "inherit" }} color="text.secondary" data-testid="log-status">
            {status}
          </Typography>
        ) : null}
        <div style={{ height: spacerH, position: "relative", minWidth: "100%" }}>{rows}</div>
      </Box>
    </Box>
  );
}
