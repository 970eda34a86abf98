import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

import { toErrorDto, type Subscribe, type UnlistenFn } from "./api";
import type { ErrorDto } from "./bindings/ErrorDto";

/** Keeps the latest value of something in a ref, for callbacks that outlive a render. */
function useLatestRef<T>(value: T) {
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
