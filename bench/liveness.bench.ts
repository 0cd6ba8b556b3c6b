import { describe, it } from "vitest";
import { percentile } from "../test/helpers/stats.js";
import { startWorld, stopWorld, type AppProcess } from "../test/e2e/harness.js";
import { runHostileScenario, type HostileOptions } from "../test/e2e/hostile-scenario.js";

/**
 * Liveness with hostile runs in flight (issue 9), through the production entry as a child
 * process: the App's own event-loop delay (its loop watch logs each window's p99 and max,
 * `src/util/loop-watch.ts`) and how long a probe delivery sent every 200 ms waits for its
 * response. The same scenario runs calm first (the same maintainers' requests, plain text,
 * no strangers, no pathological files), so the two rows of one run can be compared.
 */

interface Row {
  readonly scenario: string;
  readonly probes: number;
  readonly probeP50: number;
  readonly probeP99: number;
  readonly probeMax: number;
  readonly loopP99: number;
  readonly loopMax: number;
  readonly seconds: number;
}

interface WindowReport {
  readonly loopDelay: { readonly p99Ms: number; readonly maxMs: number };
}

function loopWindows(app: AppProcess, from: number): WindowReport[] {
  return app
    .logs()
    .slice(from)
    .filter((l): l is Record<string, unknown> & WindowReport => l["msg"] === "event loop delay" && typeof l["loopDelay"] === "object");
}

async function measure(scenario: string, options: HostileOptions): Promise<Row> {
  const world = await startWorld();
  try {
    const from = world.app.logs().length;
    const started = performance.now();
    const outcome = await runHostileScenario(world.app, world.github, world.openai, options);
    const seconds = (performance.now() - started) / 1000;
    // One more window, so the last stretch is reported.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const windows = loopWindows(world.app, from);
    const deliveries = [...outcome.probeMs, ...outcome.strangerMs];
    return {
      scenario,
      probes: deliveries.length,
      probeP50: percentile(deliveries, 0.5),
      probeP99: percentile(deliveries, 0.99),
      probeMax: Math.max(...deliveries),
      loopP99: Math.max(...windows.map((w) => w.loopDelay.p99Ms)),
      loopMax: Math.max(...windows.map((w) => w.loopDelay.maxMs)),
      seconds,
    };
  } finally {
    await stopWorld(world);
  }
}

const ms = (value: number): string => `${value.toFixed(1)} ms`.padStart(10);

describe("liveness with hostile runs in flight", () => {
  it("prints the App's event-loop delay and delivery latency, calm and hostile", async () => {
    const calm = await measure("calm", { calm: true });
    const hostile = await measure("hostile", {});
    const lines = [
      "scenario   deliveries  delivery p50  delivery p99  delivery max   loop p99*   loop max   wall",
      ...[calm, hostile].map(
        (r) =>
          `${r.scenario.padEnd(10)} ${String(r.probes).padStart(10)}  ${ms(r.probeP50)}    ${ms(r.probeP99)}    ${ms(r.probeMax)}  ${ms(r.loopP99)} ${ms(r.loopMax)}  ${r.seconds.toFixed(1)} s`,
      ),
      `hostile / calm: delivery p99 ×${(hostile.probeP99 / calm.probeP99).toFixed(2)}, loop max ×${(hostile.loopMax / calm.loopMax).toFixed(2)}`,
      "* the worst p99 of the App's 0.5 s windows (DEVBUDDY_TIME_SCALE=0.05 scales its 10 s window); bound: 50 ms at a stretch, delivery p99 < 200 ms",
    ];
    console.log(lines.join("\n"));
  }, 300_000);
});
