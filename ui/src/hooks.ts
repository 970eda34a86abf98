import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

import { toErrorDto, type Subscribe, type UnlistenFn } from "./api";
import type { ErrorDto } from "./bindings/ErrorDto";

/** Keeps the latest value of something in a ref, for callbacks that outlive a render. */
export function useLatestRef<T>(value: T) {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

/**
 * Subscribes to a shell event while mounted. `subscribe` may change (a new run
 * id, a new job id); the handler may change every render without resubscribing.
 * Pass null to stay unsubscribed.
 */
export function useSubscription<T>(subscribe: Subscribe<T> | null, handler: (payload: T) => void): void {
  const handlerRef = useLatestRef(handler);
  useEffect(() => {
    if (!subscribe) return;
    let disposed = false;
    let unlisten: UnlistenFn | undefined;
    const stop = (u: UnlistenFn) => {
      try {
        // Tauri's unlisten is async (typed as void): its rejection is dropped as well.
        Promise.resolve(u() as unknown).catch(() => {});
      } catch {
        // The shell is gone (window closing): nothing to unsubscribe from.
      }
    };
    subscribe((payload) => {
      if (!disposed) handlerRef.current(payload);
    }).then(
      (u) => {
        if (disposed) stop(u);
        else unlisten = u;
      },
      () => {
        // Outside the shell (plain browser): no events.
      },
    );
    return () => {
      disposed = true;
      if (unlisten) stop(unlisten);
    };
  }, [subscribe, handlerRef]);
}

export interface Loaded<T> {
  /** The data for the current key (kept across reloads). */
  data: T | undefined;
  /** The last error for the current key. */
  error: ErrorDto | undefined;
  /** True until the first answer for the current key. */
  loading: boolean;
  /** Loads again; reloads asked for while one is running are folded into one. */
  reload: () => void;
  /** Changes the loaded data in place (live events). */
  mutate: (update: (data: T) => T) => void;
}

interface LoaderState<T> {
  key: string | null;
  data?: T;
  error?: ErrorDto;
}

/**
 * Loads data for `key` (null: nothing to load). Answers for an older key are
 * dropped; reloads are coalesced so a burst of events costs at most two calls.
 * `merge` combines what is shown with a reloaded answer (live state that the
 * answer may not have caught up with yet).
 */
export function useLoader<T>(
  key: string | null,
  fetcher: () => Promise<T>,
  merge?: (previous: T, next: T) => T,
): Loaded<T> {
  const [state, setState] = useState<LoaderState<T>>({ key: null });
  const [tick, setTick] = useState(0);
  const fetcherRef = useLatestRef(fetcher);
  const mergeRef = useLatestRef(merge);
  const seq = useRef(0);
  const busy = useRef(false);
  const again = useRef(false);

  useEffect(() => {
    if (key === null) return;
    const id = ++seq.current;
    busy.current = true;
    fetcherRef
      .current()
      .then(
        (data) => {
          if (id !== seq.current) return;
          setState((s) => {
            const m = mergeRef.current;
            return { key, data: m && s.key === key && s.data !== undefined ? m(s.data, data) : data };
          });
        },
        (error: unknown) => {
          if (id === seq.current)
            setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: toErrorDto(error) }));
        },
      )
      .finally(() => {
        if (id !== seq.current) return;
        busy.current = false;
        if (again.current) {
          again.current = false;
          setTick((t) => t + 1);
        }
      });
  }, [key, tick, fetcherRef, mergeRef]);

  const reload = useCallback(() => {
    if (busy.current) again.current = true;
    else setTick((t) => t + 1);
  }, []);

  const mutate = useCallback(
    (update: (data: T) => T) =>
      setState((s) => (s.key === key && s.data !== undefined ? { ...s, data: update(s.data) } : s)),
    [key],
  );

  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: key !== null && !current,
    reload,
    mutate,
  };
}

/** The current time, refreshed every `intervalMs` while `enabled` (for elapsed times). */
export function useNow(intervalMs = 1000, enabled = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs, enabled]);
  return now;
}

/**
 * The width of `el` in whole pixels (null until measured), followed as it is
 * resized: the first report at once, later ones once a resize settles
 * (`debounceMs`). Without ResizeObserver (an old engine, tests): measured once.
 */
export function useElementWidth(el: HTMLElement | null, debounceMs = 250): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    if (!el) return;
    const read = () => setWidth(Math.floor(el.clientWidth || 0));
    if (typeof ResizeObserver === "undefined") {
      const id = window.setTimeout(read, 0);
      return () => window.clearTimeout(id);
    }
    let first = true;
    let timer: number | undefined;
    const observer = new ResizeObserver(() => {
      if (first) {
        first = false;
        read();
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(read, debounceMs);
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      window.clearTimeout(timer);
    };
  }, [el, debounceMs]);
  return width;
}

/** How `useLive` fetches and when it fetches again. */
export interface LiveOptions<R, T> {
  fetch: (request: R) => Promise<T>;
  /** Seconds to the next fetch after `answer`. */
  next: (answer: T) => number;
  /** Seconds between fetches before the first answer (what a first failure backs off from). */
  first: number;
  /** Seconds to wait after `failures` (1, 2, ...) failures in a row, the interval so far being `interval`. */
  backoff: (interval: number, failures: number) => number;
  /** An error after which the request is not fetched again (until it, or `run`, changes). */
  stops: (error: ErrorDto) => boolean;
}

export interface Live<R, T> {
  /** The last answer, and the request it answers: kept through errors and new requests until another one comes. */
  answer: { request: R; data: T } | null;
  /** The current request's error (none while its first answer is awaited). */
  error: ErrorDto | null;
  /** The current request has no answer yet. */
  loading: boolean;
  /** The current request is not fetched again (`stops`). */
  stopped: boolean;
}

interface LiveState<R, T> {
  /** The request (and run) the latest answer is for. */
  key: string | null;
  answer: { request: R; data: T } | null;
  error: ErrorDto | null;
  stopped: boolean;
}

function liveKey(request: unknown, run: number): string {
  return `${run}:${JSON.stringify(request)}`;
}

/**
 * Fetches `request` (null: nothing), then again after `next(answer)` seconds
 * while the window is visible and not `paused`. One call at a time, across
 * requests too (a new request waits for the answer to the old one, which is
 * dropped). After a failure it is fetched again after `backoff(...)`; an
 * error that `stops` is not retried. `run` changes to fetch again at once.
 * A new request is fetched at once, even while paused; while hidden, as
 * soon as the window is visible again.
 */
export function useLive<R, T>(request: R | null, run: number, paused: boolean, options: LiveOptions<R, T>): Live<R, T> {
  const [state, setState] = useState<LiveState<R, T>>({ key: null, answer: null, error: null, stopped: false });
  const pausedRef = useLatestRef(paused);
  const optionsRef = useLatestRef(options);
  const kick = useRef<() => void>(() => {});
  const inflight = useRef<Promise<void>>(Promise.resolve());

  useEffect(() => {
    if (request === null) return;
    const key = liveKey(request, run);
    let disposed = false;
    let timer: number | undefined;
    // The timer went off while hidden or paused: fetched as soon as that ends.
    let waiting = false;
    let interval = optionsRef.current.first;
    let failures = 0;

    const schedule = (secs: number) => {
      window.clearTimeout(timer);
      timer = window.setTimeout(due, secs * 1000);
    };

    const poll = () => {
      inflight.current = inflight.current
        .then(async () => {
          if (disposed) return;
          const o = optionsRef.current;
          try {
            const data = await o.fetch(request);
            if (disposed) return;
            failures = 0;
            interval = o.next(data);
            setState({ key, answer: { request, data }, error: null, stopped: false });
            schedule(interval);
          } catch (e) {
            if (disposed) return;
            const error = toErrorDto(e);
            if (o.stops(error)) {
              setState((s) => ({ key, answer: s.answer, error, stopped: true }));
              return;
            }
            failures += 1;
            setState((s) => ({ key, answer: s.answer, error, stopped: false }));
            schedule(o.backoff(interval, failures));
          }
        })
        .catch(() => {});
    };

    function due() {
      timer = undefined;
      if (disposed) return;
      if (pausedRef.current || document.hidden) {
        waiting = true;
        return;
      }
      poll();
    }

    kick.current = () => {
      if (disposed || !waiting || pausedRef.current || document.hidden) return;
      waiting = false;
      poll();
    };
    const onVisibility = () => kick.current();
    document.addEventListener("visibilitychange", onVisibility);

    if (document.hidden) waiting = true;
    else poll();

    return () => {
      disposed = true;
      window.clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
      kick.current = () => {};
    };
  }, [request, run, pausedRef, optionsRef]);

  useEffect(() => {
    if (!paused) kick.current();
  }, [paused]);

  const key = request === null ? null : liveKey(request, run);
  const current = key !== null && state.key === key;
  return {
    answer: state.answer,
    error: current ? state.error : null,
    loading: key !== null && !current,
    stopped: current && state.stopped,
  };
}
