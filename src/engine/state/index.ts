/** The one run state: its shape, the reducer, and the reads every face shares. */
export * from './run-state';
export { reduceRun, reduceEvents, markInterrupted, RunStateBuilder } from './reduce';
export * from './selectors';
