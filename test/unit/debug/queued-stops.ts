import { WorkflowDebugger, type Stop } from '../../../src/debug/workflow-debugger';

/** A debugger whose stops queue up for the test to take, in order, and the text it printed. */
export function queuedStops(): { dbg: WorkflowDebugger; next: () => Promise<Stop>; output: string[] } {
  const stops: Stop[] = [];
  const waiting: ((stop: Stop) => void)[] = [];
  const output: string[] = [];
  const dbg = new WorkflowDebugger({
    stopped: (stop) => {
      const take = waiting.shift();
      if (take) take(stop);
      else stops.push(stop);
    },
    threadStarted: () => undefined,
    threadExited: () => undefined,
    output: (text) => void output.push(text),
  });
  const next = () => (stops.length > 0 ? Promise.resolve(stops.shift()!) : new Promise<Stop>((resolve) => waiting.push(resolve)));
  return { dbg, next, output };
}
