import type { ComparisonResult, MeasureOptions } from './harness.ts';
import { type SimulatorProcess, startSimulatorProcess } from './simulator.ts';
import { startTemporalStack, type TemporalStack } from './temporalStack.ts';

/** One benchmark: a few comparisons of alternatives, measured in the same run. */
export interface Benchmark {
  /** What `npm run bench -- <name>` selects. */
  name: string;
  description: string;
  run(context: BenchContext): Promise<ComparisonResult[]>;
}

const DEFAULT: MeasureOptions = { rounds: 7, timeMs: 250, minIterations: 5, warmupMs: 100 };
/** Enough to show every table works, too little to mean anything. */
const SMOKE: MeasureOptions = { rounds: 1, timeMs: 1, minIterations: 1, warmupMs: 0 };

/**
 * How much a run measures: `smoke` only proves every benchmark runs (tests), `quick` (the default)
 * measures everything at the smaller sizes, `full` adds the large sizes (scale: 10,000 sessions).
 */
export type BenchMode = 'smoke' | 'quick' | 'full';

/** The shared, lazily started processes of a run, and how long to measure. */
export class BenchContext {
  readonly mode: BenchMode;
  #simulator: Promise<SimulatorProcess> | undefined;
  #temporal: Promise<TemporalStack> | undefined;
  #closed: Promise<void> | undefined;

  constructor(mode: BenchMode) {
    this.mode = mode;
  }

  get smoke(): boolean {
    return this.mode === 'smoke';
  }

  /** Measure options of a benchmark: its own settings over the defaults, or the smoke ones. */
  measure(settings: Partial<MeasureOptions> = {}): MeasureOptions {
    return this.smoke ? SMOKE : { ...DEFAULT, ...settings };
  }

  /** A benchmark's own size or count for the mode. */
  pick<T>(sizes: Record<BenchMode, T>): T {
    return sizes[this.mode];
  }

  simulator(): Promise<SimulatorProcess> {
    this.#simulator ??= startSimulatorProcess();
    return this.#simulator;
  }

  /** Temporal with the app's worker, whose activities call the simulator. */
  temporal(): Promise<TemporalStack> {
    this.#temporal ??= this.simulator().then(startTemporalStack);
    return this.#temporal;
  }

  /** Stops what was started; an interrupt and the normal end may both call it. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#temporal) await (await this.#temporal).close();
      if (this.#simulator) await (await this.#simulator).close();
    })();
    return this.#closed;
  }
}
