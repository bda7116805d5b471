import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * Calls load() now and every `every` ms (while the tab is visible), keeping the last answer and error.
 * Calls never overlap; `deps` restart it. reload() asks again at once.
 */
export function usePoll(load, every, deps = []) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const tick = useRef(() => {});
  // A layout effect, so the first call leaves before the browser paints (the page shows its data sooner).
  useLayoutEffect(() => {
    let stopped = false;
    let timer = 0;
    let running = false;
    const run = async () => {
      if (stopped || running) return;
      running = true;
      clearTimeout(timer);
      try {
        const data = await load();
        if (!stopped) setState({ data, error: null, loading: false });
      } catch (error) {
        if (!stopped && error.name !== 'AbortError') setState((s) => ({ data: s.data, error, loading: false }));
      } finally {
        running = false;
        if (!stopped && every > 0) timer = setTimeout(run, document.hidden ? every * 5 : every);
      }
    };
    tick.current = run;
    setState((s) => ({ ...s, loading: true }));
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  const reload = useCallback(() => tick.current(), []);
  return { ...state, reload };
}

/** Runs an async action, keeping whether it runs and its error (an ApiError with field findings). */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null });
  const run = useCallback(async (action) => {
    setState({ busy: true, error: null });
    try {
      const result = await action();
      setState({ busy: false, error: null });
      return result;
    } catch (error) {
      setState({ busy: false, error });
      return undefined;
    }
  }, []);
  const clear = useCallback(() => setState({ busy: false, error: null }), []);
  return { ...state, run, clear };
}
